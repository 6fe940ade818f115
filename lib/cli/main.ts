/** `token-broker <group> <command>`: dispatch, usage, and the exit-code contract (0 ok, 1 problems, 2 usage, 3 widened). */
import { runCdnCommand } from "./cdn-commands";
import { runDevCommand } from "./dev-commands";
import { runPolicyCommand } from "./policy-commands";

export const USAGE = `usage: token-broker policy <command> [options]

  check   [dir]                   schema + semantic checks (file:line:column, what, how to fix)
  compile [dir] --env <name>      write the runtime config (--out file) and infra needs (--infra file)
  test    [dir]                   run the policy tests in <dir>/tests
  explain [dir] --env <name> (--token <jwt> | --token-file <f> | --claims <file>) [--request <json>]...
                                  which roles match and why, what they grant, what the requests get
  diff    <base> <head> [--env <name>] [--fail-on-widen]
                                  who gains or loses what; base/head are directories or git revisions

  [dir] defaults to policies/. Every command takes --json.

       token-broker cdn encrypt --key <key> <ec_params>   ECToken v3 for EdgeCast-compatible CDNs
       token-broker cdn decrypt --key <key> <token>       prints the plaintext; wrong key or altered token: exit 1
       token-broker dev token <persona> [--port <n>]      a persona's token from the running npm run dev
  Exit codes: 0 ok, 1 policy errors or failing tests, 2 usage, 3 access widened (diff --fail-on-widen).`;

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + "\n"), err: (s: string) => void = (s) => process.stderr.write(s + "\n")): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === "policy" && command) return runPolicyCommand(command, rest, out, err);
  if (group === "cdn" && command) return runCdnCommand(command, rest, out, err);
  if (group === "dev" && command) return runDevCommand(command, rest, out, err);
  if (group === "--help" || group === "-h" || group === "help" || (group === "policy" && !command)) {
    out(USAGE);
    return 0;
  }
  err(USAGE);
  return 2;
}
