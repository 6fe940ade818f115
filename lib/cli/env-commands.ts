/**
 * `token-broker env expired --resource-groups <file | -> [--repository <owner/name>] [--policy-dir policies]
 * [--now <iso date>] [--json]`: this repository's pr-<n> environments past their `expires-on` tag
 * (lib/cli/expired-environments.ts). `--json` prints the list the scheduled workflow turns into a matrix of destroy
 * jobs. `token-broker env recheck --resource-group <file | -> --name <rg> [...]`: prints `destroy` when that group
 * (`az group show -o json`) is still this repository's and still expired, else `keep: <why>`.
 * The repository defaults to GITHUB_REPOSITORY; the ephemeral entries and their workloads come from environments.yaml.
 * Any unreadable input is exit 1: a failed selection must never read as "nothing expired".
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseCommandArgs } from "./parse-command-args";
import { loadPolicy } from "../policy/authoring/load";
import { filesOnDisk } from "../policy/authoring/policy-files";
import { renderEnvironmentComment } from "./environment-outputs";
import { recheckGroup, ResourceGroupListError, selectExpired, type SweepScope } from "./expired-environments";

type Print = (s: string) => void;

const SWEEP_OPTIONS = {
  repository: { type: "string" },
  "policy-dir": { type: "string" },
  now: { type: "string" },
} as const;

export function runEnvCommand(command: string, argv: string[], out: Print, err: Print): number {
  if (command === "comment") return commentCommand(argv, out, err);
  if (command !== "expired" && command !== "recheck") {
    err(`unknown command 'env ${command}'; try: expired, recheck, comment`);
    return 2;
  }
  const args = parseCommandArgs(
    {
      args: argv,
      strict: true,
      options: {
        ...SWEEP_OPTIONS,
        "resource-groups": { type: "string" },
        "resource-group": { type: "string" },
        name: { type: "string" },
        json: { type: "boolean" },
      },
    },
    err,
  );
  if (!args) return 2;
  const { values } = args;
  const input = command === "expired" ? values["resource-groups"] : values["resource-group"];
  if (!input || (command === "recheck" && !values.name)) {
    err(
      command === "expired"
        ? "env expired needs --resource-groups <file> (the output of `az group list -o json`; - for stdin)"
        : "env recheck needs --resource-group <file> (the output of `az group show -o json`) and --name <group>",
    );
    return 2;
  }
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) {
    err("--now must be a date such as 2026-11-25");
    return 2;
  }
  const repository = values.repository ?? process.env.GITHUB_REPOSITORY;
  if (!repository) {
    err("--repository <owner/name> is required (GitHub Actions sets GITHUB_REPOSITORY)");
    return 2;
  }
  const scope = sweepScope(values["policy-dir"] ?? "policies", repository, err);
  if (!scope) return 1;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(input === "-" ? 0 : input, "utf8"));
  } catch (e) {
    err(`${command === "expired" ? "--resource-groups" : "--resource-group"}: ${(e as Error).message}`);
    return 1;
  }
  try {
    if (command === "recheck") {
      const r = recheckGroup(parsed, values.name!, now, scope);
      out(r.destroy ? "destroy" : `keep: ${r.reason}`);
      return 0;
    }
    const selection = selectExpired(parsed, now, scope);
    if (values.json) out(JSON.stringify(selection.expired));
    else {
      for (const e of selection.expired)
        out(`expired: ${e.environment} (${e.resourceGroup}, expires-on ${e.expiresOn})`);
      out(`${selection.expired.length} expired, ${selection.live.length} live`);
    }
    for (const name of selection.unreadable)
      err(`warning: ${name} is a pr-<n> environment without a readable expires-on tag; not selected`);
    return 0;
  } catch (e) {
    if (e instanceof ResourceGroupListError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
}

/** The ephemeral entries of environments.yaml and their workloads (read, not compiled: only names are needed). */
function sweepScope(dir: string, repository: string, err: Print): SweepScope | undefined {
  const loaded = loadPolicy(filesOnDisk(dir));
  if (!loaded.bundle) {
    err(`${dir}: cannot read the environments (${loaded.diagnostics[0]?.message ?? "no policy"})`);
    return undefined;
  }
  const ephemeral = Object.entries(loaded.bundle.environments.entries)
    .filter(([, e]) => e.stage === "ephemeral")
    .map(([entry, e]) => ({ entry, workload: e.azure?.workload ?? "tb" }));
  return { repository, ephemeral };
}

/**
 * `token-broker env comment --outputs <cdktf outputs.json> --stack broker-pr-<n> [--smoke <text>] [--expires-on d]
 * [--run-url u] [--out f]`
 */
function commentCommand(argv: string[], out: Print, err: Print): number {
  const parsed = parseCommandArgs(
    {
      args: argv,
      strict: true,
      options: {
        outputs: { type: "string" },
        stack: { type: "string" },
        smoke: { type: "string" },
        "expires-on": { type: "string" },
        "run-url": { type: "string" },
        out: { type: "string" },
      },
    },
    err,
  );
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.outputs || !values.stack) {
    err("env comment needs --outputs <file> (cdktf deploy --outputs-file) and --stack <id>");
    return 2;
  }
  let body;
  try {
    body = renderEnvironmentComment(JSON.parse(readFileSync(values.outputs, "utf8")), values.stack, {
      smoke: values.smoke,
      expiresOn: values["expires-on"],
      runUrl: values["run-url"],
    });
  } catch (e) {
    err(`--outputs: ${(e as Error).message}`);
    return 1;
  }
  if (values.out) writeFileSync(values.out, body);
  else out(body.trimEnd());
  return 0;
}
