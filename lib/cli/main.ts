/**
 * `token-broker <group> <command>`: dispatch and the exit-code contract (0 ok, 1 problems, 2 usage, 3 widened,
 * 70 internal error); help, --version and unknown commands are answered first (conventions.ts).
 */
import { runCdnCommand } from "./cdn-commands";
import { runDevCommand } from "./dev-commands";
import { runFluidCommand } from "./fluid-commands";
import { runPolicyCommand } from "./policy-commands";
import { runCosmosCommand, runRevokeCommand } from "./revocation-commands";
import { runEnvCommand } from "./env-commands";
import { runBootstrapCommand } from "./bootstrap-commands";
import { runPrCommand } from "./pr-commands";
import { smokeCommand } from "./smoke-command";
import { runDeployCommand, deployCheckCommand } from "./deploy-commands";
import { YAMLError } from "yaml";
import { answerConventions, topUsage } from "./conventions";
import { initCommand } from "./init-command";
import { runKeysCommand } from "./keys-commands";

/** The top-level usage (lib/cli/command-table.ts lists every command; conventions.ts writes the help). */
export const USAGE = topUsage();

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
  const early = answerConventions(argv);
  if (early) {
    (early.stream === "out" ? out : err)(early.text);
    return early.code;
  }
  const [group, command, ...rest] = argv;
  if (group === "init") return initCommand(argv.slice(1), out, err);
  if (group === "policy" && command) return runPolicyCommand(command, rest, out, err);
  if (group === "cdn" && command) return runCdnCommand(command, rest, out, err);
  if (group === "revoke") return runRevokeCommand(argv.slice(1), out, err);
  if (group === "cosmos" && command) return runCosmosCommand(command, rest, out, err);
  if (group === "pr" && command) return runPrCommand(command, rest, out, err);
  if (group === "env" && command) return runEnvCommand(command, rest, out, err);
  if (group === "bootstrap" && command) return runBootstrapCommand(command, rest, out, err);
  if (group === "smoke") return smokeCommand(argv.slice(1), out, err);
  if (group === "dev" && command) return runDevCommand(command, rest, out, err);
  if (group === "deploy" && command) return runDeployCommand(command, rest, out, err);
  if (group === "deploy-check") return deployCheckCommand(argv.slice(1), out, err);
  if (group === "fluid" && command) return runFluidCommand(command, rest, out, err);
  if (group === "keys" && command) return runKeysCommand(command, rest, out, err);
  err(USAGE);
  return 2;
}
