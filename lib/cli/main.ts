/** `token-broker <group> <command>`: dispatch; help, --version and unknown commands are answered first (conventions.ts). */
import { runCdnCommand } from "./cdn-commands";
import { runDevCommand } from "./dev-commands";
import { runPolicyCommand } from "./policy-commands";
import { runCosmosCommand, runRevokeCommand } from "./revocation-commands";
import { runEnvCommand } from "./env-commands";
import { runPrCommand } from "./pr-commands";
import { smokeCommand } from "./smoke-command";
import { answerConventions, topUsage } from "./conventions";
import { initCommand } from "./init-command";

/** The top-level usage (lib/cli/command-table.ts lists every command; conventions.ts writes the help). */
export const USAGE = topUsage();

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s + "\n"),
  err: (s: string) => void = (s) => process.stderr.write(s + "\n"),
): Promise<number> {
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
  if (group === "smoke") return smokeCommand(argv.slice(1), out, err);
  if (group === "dev" && command) return runDevCommand(command, rest, out, err);
  err(USAGE);
  return 2;
}
