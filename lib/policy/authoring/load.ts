/** Load: read the files, parse YAML with positions, validate each against its schema. */
import type { PolicyDiagnostic } from "./errors";
import type { PolicyFiles } from "./policy-files";
import type { EnvironmentSource, PolicyDocument } from "./source-types";
import { validateSchema, type SchemaKind } from "./validate-schema";
import { YamlSource, type JsonPath } from "./yaml-source";

export interface PolicyBundle {
  files: PolicyFiles;
  policy: YamlSource;
  document: PolicyDocument;
  environments: { source: YamlSource; path: JsonPath; entries: Record<string, EnvironmentSource> };
}

export interface LoadResult {
  bundle?: PolicyBundle;
  diagnostics: PolicyDiagnostic[];
}

export function loadPolicy(files: PolicyFiles): LoadResult {
  const diagnostics: PolicyDiagnostic[] = [];
  const policy = loadFile(files, files.policyFile, "policy", diagnostics);
  const envFile = files.environmentsFile
    ? loadFile(files, files.environmentsFile, "environments", diagnostics)
    : undefined;
  if (!policy || (files.environmentsFile && !envFile) || diagnostics.length > 0) return { diagnostics };

  const document = policy.value as PolicyDocument;
  let environments: PolicyBundle["environments"] | undefined;
  if (document.environments && envFile) {
    diagnostics.push(
      fileProblem(
        policy,
        ["environments"],
        `environments are defined twice: here and in ${envFile.file}`,
        "keep one home for environment values: remove this section or the file",
        true,
      ),
    );
  } else if (document.environments) {
    environments = { source: policy, path: ["environments"], entries: document.environments };
  } else if (envFile) {
    environments = {
      source: envFile,
      path: ["environments"],
      entries: (envFile.value as { environments: Record<string, EnvironmentSource> }).environments,
    };
  } else {
    diagnostics.push(
      fileProblem(
        policy,
        [],
        "the policy defines no environments",
        "add environments.yaml beside the policy (see policies/environments.yaml), or an `environments:` section",
      ),
    );
  }
  if (!environments) return { diagnostics };
  return { bundle: { files, policy, document, environments }, diagnostics };
}

/** Parses and schema-validates one file; problems go to `diagnostics`. */
export function loadFile(
  files: PolicyFiles,
  file: string,
  kind: SchemaKind,
  diagnostics: PolicyDiagnostic[],
): YamlSource | undefined {
  let text: string;
  try {
    text = files.read(file);
  } catch (e) {
    diagnostics.push({
      file,
      line: 1,
      column: 1,
      code: "E_FILE",
      severity: "error",
      message: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      hint: "check the path; a policy directory holds policy.yaml, environments.yaml and tests/",
      path: [],
    });
    return undefined;
  }
  const parsed = YamlSource.parse(file, text, files.maxChars);
  diagnostics.push(...parsed.diagnostics);
  if (!parsed.source) return undefined;
  const schemaProblems = validateSchema(parsed.source, kind);
  diagnostics.push(...schemaProblems);
  return schemaProblems.length === 0 ? parsed.source : undefined;
}

function fileProblem(source: YamlSource, path: JsonPath, message: string, hint: string, key = false): PolicyDiagnostic {
  return { ...source.positionOf(path, { key }), code: "E_ENVIRONMENT", severity: "error", message, hint, path };
}
