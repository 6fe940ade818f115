/**
 * Which policy folder a command works on: the one named (`[dir]` or `--policies <dir>`), else the nearest
 * `policies/` from the working directory upward (as git finds `.git`), so the tool works from anywhere in a
 * repository that installed it, not only from its root.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export class PolicyDirError extends Error {}

export function findPolicyDir(positional: string | undefined, flag: string | undefined, cwd = process.cwd()): string {
  if (positional !== undefined && flag !== undefined && resolve(cwd, positional) !== resolve(cwd, flag))
    throw new PolicyDirError(`two policy folders given ('${positional}' and --policies '${flag}'); name one`);
  const named = flag ?? positional;
  if (named !== undefined) return named;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, "policies");
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return relative(cwd, candidate) || ".";
    if (dirname(dir) === dir) break;
  }
  throw new PolicyDirError(
    `no policies/ folder here or above ${resolve(cwd)}: pass --policies <dir>, or run \`token-broker init\` to start one`,
  );
}
