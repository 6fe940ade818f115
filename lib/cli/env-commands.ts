/**
 * `token-broker env expired --resource-groups <file | -> [--now <iso date>] [--json]`: the pr-<n> environments past
 * their `expires-on` tag (lib/cli/expired-environments.ts). `--json` prints the list the scheduled workflow turns into
 * a matrix of `cdktf destroy broker-pr-<n>` jobs.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { renderEnvironmentComment } from "./environment-outputs";
import { ResourceGroupListError, selectExpired } from "./expired-environments";

type Print = (s: string) => void;

export function runEnvCommand(command: string, argv: string[], out: Print, err: Print): number {
  if (command === "comment") return commentCommand(argv, out, err);
  if (command !== "expired") {
    err(`unknown command 'env ${command}'; try: expired, comment`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { "resource-groups": { type: "string" }, now: { type: "string" }, json: { type: "boolean" } },
    }));
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  if (!values["resource-groups"]) {
    err("env expired needs --resource-groups <file> (the output of `az group list -o json`; - for stdin)");
    return 2;
  }
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) {
    err("--now must be a date such as 2026-11-25");
    return 2;
  }
  let selection;
  try {
    const text = readFileSync(values["resource-groups"] === "-" ? 0 : values["resource-groups"], "utf8");
    selection = selectExpired(JSON.parse(text), now);
  } catch (e) {
    if (e instanceof SyntaxError || e instanceof ResourceGroupListError) {
      err(`--resource-groups: ${e instanceof SyntaxError ? "not JSON" : e.message}`);
      return 1;
    }
    throw e;
  }
  if (values.json) out(JSON.stringify(selection.expired));
  else {
    for (const e of selection.expired) out(`expired: ${e.environment} (${e.resourceGroup}, expires-on ${e.expiresOn})`);
    out(`${selection.expired.length} expired, ${selection.live.length} live`);
  }
  for (const name of selection.unreadable)
    err(`warning: ${name} is a pr-<n> environment without a readable expires-on tag; not selected`);
  return 0;
}

/**
 * `token-broker env comment --outputs <cdktf outputs.json> --stack broker-pr-<n> [--smoke <text>] [--expires-on d]
 * [--run-url u] [--out f]`
 */
function commentCommand(argv: string[], out: Print, err: Print): number {
  let values;
  try {
    ({ values } = parseArgs({
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
    }));
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
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
