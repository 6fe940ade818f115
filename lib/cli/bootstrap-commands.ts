/**
 * `token-broker bootstrap outputs --outputs <f> [--stack broker-bootstrap] [--environments <yaml>] [--github-variables <f>]`:
 * writes the bootstrap stack's outputs back where they are needed (lib/cli/bootstrap-outputs.ts); without
 * `--github-variables` it prints the `gh variable set` lines. `token-broker bootstrap app-roles [dir] [--write]`: the
 * app roles the policy reads per environment against the record (policies/entra-app-roles.json); `--write` adds
 * the new ones to the record and never drops one (deleting a retired app role is a deliberate edit).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseCommandArgs } from "./parse-command-args";
import {
  APP_ROLE_RECORD,
  appRoleRecordPath,
  bootstrapSettings,
  BootstrapSettingsError,
  readRecord,
} from "../../stacks/bootstrap-settings";
import { BOOTSTRAP_STACK_ID } from "../../stacks/bootstrap-stack";
import { AppRoleDerivationError } from "../policy/authoring/entra-app-roles";
import { PolicyError } from "../policy/authoring/errors";
import { filesOnDisk } from "../policy/authoring/policy-files";
import {
  BootstrapOutputsError,
  githubVariableCommands,
  readBootstrapOutputs,
  updateEnvironmentsYaml,
} from "./bootstrap-outputs";
import { findPolicyDir, PolicyDirError } from "./policy-dir";

type Print = (s: string) => void;

export function runBootstrapCommand(command: string, argv: string[], out: Print, err: Print): number {
  if (command === "outputs") return outputsCommand(argv, out, err);
  if (command === "app-roles") return appRolesCommand(argv, out, err);
  err(`unknown command 'bootstrap ${command}'; try: outputs, app-roles`);
  return 2;
}

function outputsCommand(argv: string[], out: Print, err: Print): number {
  const parsed = parseCommandArgs(
    {
      args: argv,
      strict: true,
      options: {
        outputs: { type: "string" },
        stack: { type: "string" },
        environments: { type: "string" },
        "github-variables": { type: "string" },
      },
    },
    err,
  );
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.outputs) {
    err("bootstrap outputs needs --outputs <file> (cdktf deploy broker-bootstrap --outputs-file <file>)");
    return 2;
  }
  try {
    const outputs = readBootstrapOutputs(
      JSON.parse(readFileSync(values.outputs, "utf8")),
      values.stack ?? BOOTSTRAP_STACK_ID,
    );
    if (values.environments) {
      const { text, changes } = updateEnvironmentsYaml(readFileSync(values.environments, "utf8"), outputs);
      if (changes.length > 0) writeFileSync(values.environments, text);
      out(
        changes.length > 0
          ? `${values.environments}: set ${changes.join(", ")}`
          : `${values.environments}: already up to date`,
      );
    }
    const commands = githubVariableCommands(outputs);
    if (values["github-variables"]) {
      writeFileSync(values["github-variables"], commands);
      out(`${values["github-variables"]}: the GitHub variables; run it with bash once \`gh auth login\` is done`);
    } else out(commands.trimEnd());
    return 0;
  } catch (e) {
    if (e instanceof BootstrapOutputsError) {
      err(`--outputs: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function appRolesCommand(argv: string[], out: Print, err: Print): number {
  const parsed = parseCommandArgs(
    {
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { policies: { type: "string" }, write: { type: "boolean" }, json: { type: "boolean" } },
    },
    err,
  );
  if (!parsed) return 2;
  let dir: string;
  try {
    dir = findPolicyDir(parsed.positionals[0], parsed.values.policies);
  } catch (e) {
    if (!(e instanceof PolicyDirError)) throw e;
    err(e.message);
    return 2;
  }
  let settings;
  try {
    settings = bootstrapSettings(dir, { environ: {} });
  } catch (e) {
    if (e instanceof AppRoleDerivationError || e instanceof BootstrapSettingsError || e instanceof PolicyError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  const path = appRoleRecordPath(filesOnDisk(dir), dir);
  const record = readRecord(filesOnDisk(dir), dir);
  const next: Record<string, string[]> = { ...record };
  for (const api of settings.apis) {
    next[api.entry] = [...new Set([...(record[api.entry] ?? []), ...api.appRoles.map((r) => r.value)])].sort();
  }
  if (parsed.values.json) out(JSON.stringify({ apis: settings.apis, record: next }));
  else {
    for (const api of settings.apis) {
      const active = api.appRoles.filter((r) => r.enabled).map((r) => r.value);
      const retired = api.appRoles.filter((r) => !r.enabled).map((r) => r.value);
      const fresh = settings.unrecorded[api.entry] ?? [];
      out(
        `${api.entry}: ${active.join(", ") || "(none)"}` +
          (fresh.length ? `; new: ${fresh.join(", ")}` : "") +
          (retired.length ? `; no longer read (kept, disabled): ${retired.join(", ")}` : ""),
      );
    }
  }
  if (parsed.values.write) {
    const text = `${JSON.stringify(next, null, 2)}\n`;
    if (!existsSync(path) || readFileSync(path, "utf8") !== text) {
      writeFileSync(path, text);
      out(`${path}: updated`);
    } else out(`${path}: already up to date`);
  } else if (Object.keys(settings.unrecorded).length > 0) {
    out(`not recorded yet: run with --write to update ${APP_ROLE_RECORD}`);
  }
  return 0;
}
