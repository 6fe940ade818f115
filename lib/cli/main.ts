/** `token-broker <group> <command>`: dispatch, usage, and the exit-code contract (0 ok, 1 problems, 2 usage, 3 widened). */
import { runCdnCommand } from "./cdn-commands";
import { runDevCommand } from "./dev-commands";
import { runFluidCommand } from "./fluid-commands";
import { runPolicyCommand } from "./policy-commands";
import { REVOCATION_USAGE, runCosmosCommand, runRevokeCommand } from "./revocation-commands";
import { runEnvCommand } from "./env-commands";
import { runPrCommand } from "./pr-commands";
import { smokeCommand } from "./smoke-command";

export const USAGE = `usage: token-broker policy <command> [options]

  check   [dir]                   schema + semantic checks (file:line:column, what, how to fix)
  compile [dir] --env <name>      write the runtime config (--out file) and infra needs (--infra file)
  test    [dir]                   run the policy tests in <dir>/tests
  explain [dir] --env <name> (--token <jwt> | --token-file <f> | --claims <file>) [--request <json>]...
                                  which roles match and why, what they grant, what the requests get
  diff    <base> <head> [--env <name>] [--fail-on-widen]
                                  who gains or loses what; base/head are directories or git revisions
  review  <base> <head> [--replay-log <f>] [--out comment.md] [--github-output <f>] [--full-diff <f>]
                                  check + test + diff (+ replay) as one pull-request comment; exit 3 widens
  replay  --log <f> <base> <head> [--env <name>] [--hash-key-file <f>]
                                  which recorded callers (audit export) would gain or lose which access

  [dir] defaults to policies/. Every command takes --json.

       token-broker cdn encrypt --key <key> <ec_params>   ECToken v3 for EdgeCast-compatible CDNs
       token-broker cdn decrypt --key <key> <token>       prints the plaintext; wrong key or altered token: exit 1
       token-broker dev token <persona> [--port <n>]      a persona's token from the running npm run dev
       token-broker pr comment --pr <n> --body-file <f> [--marker <m>]   create or update the one marked comment
       token-broker pr label --pr <n> <name> (--add | --remove)          (GITHUB_TOKEN, GITHUB_REPOSITORY)
       token-broker env expired --resource-groups <az group list json> [--now <date>] [--json]
                                                          pr-<n> environments past their expires-on tag
       token-broker smoke <broker-url> (--token-file <f> | --token-env <VAR>) [--request <json>]...
                                                          health + one token exchange against a deployed broker
       token-broker fluid forget <documentId> --tenant <value>
                                                          deletes a Fluid document's owner record (audited;
                                                          COSMOS_ENDPOINT, COSMOS_DATABASE, COSMOS_KEY or Entra)
${REVOCATION_USAGE}
  Exit codes: 0 ok, 1 policy errors or failing tests, 2 usage, 3 access widened (diff --fail-on-widen,
  review, replay).`;

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s + "\n"),
  err: (s: string) => void = (s) => process.stderr.write(s + "\n"),
): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === "policy" && command) return runPolicyCommand(command, rest, out, err);
  if (group === "cdn" && command) return runCdnCommand(command, rest, out, err);
  if (group === "revoke") return runRevokeCommand(argv.slice(1), out, err);
  if (group === "cosmos" && command) return runCosmosCommand(command, rest, out, err);
  if (group === "pr" && command) return runPrCommand(command, rest, out, err);
  if (group === "env" && command) return runEnvCommand(command, rest, out, err);
  if (group === "smoke" && command) return smokeCommand([command, ...rest], out, err);
  if (group === "dev" && command) return runDevCommand(command, rest, out, err);
  if (group === "fluid" && command) return runFluidCommand(command, rest, out, err);
  if (group === "--help" || group === "-h" || group === "help" || (group === "policy" && !command)) {
    out(USAGE);
    return 0;
  }
  err(USAGE);
  return 2;
}
