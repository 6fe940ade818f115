/**
 * Base and head of a policy change, loaded and checked the same way (`policy diff`, `policy review`,
 * `policy replay`): a directory on disk or a git revision, then one compiled pair per environment.
 */
import { emptyPolicy, loadCheckedPolicy, type CheckedPolicy } from "../authoring/checked-policy";
import { compilePolicy, type CompiledPolicy } from "../authoring/compile";
import { representativeEnvironments, UnknownEnvironmentError } from "../authoring/environments";
import type { PolicyDiagnostic } from "../authoring/errors";
import {
  filesAtRevision,
  filesOnDisk,
  isGitRevision,
  PolicyDirectoryAbsentError,
  type PolicyFiles,
} from "../authoring/policy-files";

export interface LoadedSide {
  label: string;
  bundle?: CheckedPolicy;
  diagnostics: PolicyDiagnostic[];
  errors: number;
}

/**
 * `spec` is a directory/file, or a git revision whose `policyDir` is read with `git show`. A revision without that
 * directory is the empty policy (it grants nothing), not an error: the commit before the policy was added.
 */
export function loadSide(spec: string, policyDir = "policies"): LoadedSide {
  let files: PolicyFiles;
  try {
    files = isGitRevision(spec) ? filesAtRevision(spec, policyDir) : filesOnDisk(spec);
  } catch (e) {
    if (!(e instanceof PolicyDirectoryAbsentError)) throw e;
    const label = `${e.revision}:${e.dir} (absent: the empty policy)`;
    return { label, bundle: emptyPolicy(label), diagnostics: [], errors: 0 };
  }
  const loaded = loadCheckedPolicy(files);
  const diagnostics = loaded.diagnostics;
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  return { label: files.label, bundle: loaded.ok ? loaded.policy : undefined, diagnostics, errors };
}

export interface EnvironmentPair {
  base?: CompiledPolicy;
  head?: CompiledPolicy;
  /** True for an ephemeral entry compiled as `<entry>-1`: it stands for every `<entry>-<n>`. */
  ephemeral: boolean;
}

/** One compiled pair per environment of either side (ephemeral entries once, as `<entry>-1`). */
export function compilePairs(base: CheckedPolicy, head: CheckedPolicy, only?: string): Map<string, EnvironmentPair> {
  const names = new Map<string, boolean>();
  for (const b of [base, head])
    for (const e of representativeEnvironments(b.environments.entries)) names.set(e.name, e.stage === "ephemeral");
  const selected = only ? [only] : [...names.keys()];
  const compileOr = (b: CheckedPolicy, env: string): CompiledPolicy | undefined => {
    try {
      return compilePolicy(b, env);
    } catch (e) {
      if (e instanceof UnknownEnvironmentError) return undefined;
      throw e;
    }
  };
  return new Map(
    selected.map((env) => [
      env,
      { base: compileOr(base, env), head: compileOr(head, env), ephemeral: names.get(env) ?? false },
    ]),
  );
}

/** How an environment is named in a review: an ephemeral representative `pr-1` stands for `pr-*`. */
export function environmentLabel(name: string, ephemeral: boolean): string {
  return ephemeral ? name.replace(/-1$/, "-*") : name;
}
