/**
 * `token-broker <group> <command>`: dispatch, usage, and the exit-code contract (0 ok, 1 problems, 2 usage, 3 widened,
 * 70 internal error).
 */
import { runCdnCommand } from "./cdn-commands";
import { runDevCommand } from "./dev-commands";
import { runPolicyCommand } from "./policy-commands";
import { REVOCATION_USAGE, runCosmosCommand, runRevokeCommand } from "./revocation-commands";
import { runEnvCommand } from "./env-commands";
import { runPrCommand } from "./pr-commands";
import { smokeCommand } from "./smoke-command";
import { runDeployCommand, deployCheckCommand } from "./deploy-commands";
import { YAMLError } from "yaml";

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
       token-broker pr comment --pr <n> --body-file <f> [--marker <m>] [--author <login>]
                                                          create or update the bot's one marked comment
       token-broker pr label --pr <n> <name> (--add | --remove)          (GITHUB_TOKEN, GITHUB_REPOSITORY)
       token-broker env expired --resource-groups <az group list json> [--repository <o/r>] [--now <date>] [--json]
                                                          this repository's pr-<n> environments past expires-on
       token-broker env recheck --resource-group <az group show json> --name <rg> [--repository <o/r>]
                                                          destroy, or keep: <why> (right before a sweep destroys)
       token-broker smoke <broker-url> (--token-file <f> | --token-env <VAR>) [--request <json>]... [--require <types>]
                                                          health + one token exchange against a deployed broker
       token-broker deploy publish --stack <id> --outputs <outputs.json> [--package <zip>] [--out-dir cdktf.out]
                                                          after cdktf deploy: One Deploy, restart, wait for health
       token-broker deploy-check (--env <name> | --stack <id>) [--json]
                                                          offline checks of one environment's synthesized stack
${REVOCATION_USAGE}
  Exit codes: 0 ok, 1 policy errors or failing tests, 2 usage or unreadable input, 3 access widened
  (diff --fail-on-widen, review, replay), 70 internal error (a bug: rerun with --debug for the stack trace).`;

/** EX_SOFTWARE (sysexits.h): the tool failed, not the input; distinct from 1 (policy errors) and 2 (usage). */
export const EXIT_INTERNAL = 70;

/**
 * The one place an unexpected exception ends: a message and exit 70, never a stack trace unless `--debug` (anywhere
 * in argv) asks for it. An input the command could not read or parse (a missing file, malformed JSON or YAML given
 * as an argument) is exit 2 with what was wrong.
 */
export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s + "\n"),
  err: (s: string) => void = (s) => process.stderr.write(s + "\n"),
): Promise<number> {
  const debug = argv.includes("--debug");
  try {
    return await dispatch(
      argv.filter((a) => a !== "--debug"),
      out,
      err,
    );
  } catch (e) {
    if (debug) err(e instanceof Error && e.stack ? e.stack : String(e));
    const input = unreadableInput(e);
    if (input) {
      err(`token-broker: ${input}`);
      return 2;
    }
    err(`token-broker: internal error: ${firstLine(e)}`);
    if (!debug) err("  this is a bug in token-broker, not in your input; rerun with --debug for the stack trace");
    return EXIT_INTERNAL;
  }
}

function unreadableInput(e: unknown): string | undefined {
  // Duck-typed: errors from node:fs may come from another realm (a vm context), where instanceof fails.
  const errno = e as Partial<NodeJS.ErrnoException> | null;
  if (typeof errno?.code === "string" && typeof errno.syscall === "string")
    return `cannot ${errno.syscall}${errno.path ? ` ${errno.path}` : " an input"} (${errno.code}): ${firstLine(e)}`;
  if ((e as Error | null)?.name === "SyntaxError") return `an input is not valid JSON: ${firstLine(e)}`;
  if (e instanceof YAMLError) return `an input is not valid YAML: ${firstLine(e)}`;
  return undefined;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

async function dispatch(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === "policy" && command) return runPolicyCommand(command, rest, out, err);
  if (group === "cdn" && command) return runCdnCommand(command, rest, out, err);
  if (group === "revoke") return runRevokeCommand(argv.slice(1), out, err);
  if (group === "cosmos" && command) return runCosmosCommand(command, rest, out, err);
  if (group === "pr" && command) return runPrCommand(command, rest, out, err);
  if (group === "env" && command) return runEnvCommand(command, rest, out, err);
  if (group === "smoke" && command) return smokeCommand([command, ...rest], out, err);
  if (group === "dev" && command) return runDevCommand(command, rest, out, err);
  if (group === "deploy" && command) return runDeployCommand(command, rest, out, err);
  if (group === "deploy-check") return deployCheckCommand(argv.slice(1), out, err);
  if (group === "--help" || group === "-h" || group === "help" || (group === "policy" && !command)) {
    out(USAGE);
    return 0;
  }
  err(USAGE);
  return 2;
}
