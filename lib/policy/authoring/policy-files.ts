/**
 * Where a policy's files come from: a directory on disk or a git revision (for `policy diff main HEAD`).
 * Layout of a policy directory:
 *   policy.yaml          the policy (required)
 *   environments.yaml    per-environment values (optional if policy.yaml has an `environments:` section)
 *   tests/*.yaml         policy tests
 * A single .yaml file may also be given; environments.yaml beside it is used when present.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";

export interface PolicyFiles {
  /** Shown in messages: a path, or `main:policies`. */
  readonly label: string;
  readonly policyFile: string;
  readonly environmentsFile?: string;
  readonly testFiles: string[];
  read(file: string): string;
  /**
   * The size bound of each file (default YAML_LIMITS.maxChars, 256 KiB). Raised only by a caller that wrote the text
   * itself, such as the compile benchmark's generated 10,000-role policy; files from disk or git keep the default.
   */
  readonly maxChars?: number;
}

export const POLICY_FILE = "policy.yaml";
export const ENVIRONMENTS_FILE = "environments.yaml";

/** A policy directory or file on disk. File names in diagnostics are relative to the working directory. */
export function filesOnDisk(target: string): PolicyFiles {
  const isDir = existsSync(target) && statSync(target).isDirectory();
  const dir = isDir ? target : dirname(target);
  const policyFile = show(isDir ? join(target, POLICY_FILE) : target);
  const envPath = join(dir, ENVIRONMENTS_FILE);
  const testsDir = join(dir, "tests");
  const testFiles =
    isDir && existsSync(testsDir)
      ? readdirSync(testsDir)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => show(join(testsDir, f)))
      : [];
  return {
    label: show(target),
    policyFile,
    environmentsFile: existsSync(envPath) && basename(policyFile) !== ENVIRONMENTS_FILE ? show(envPath) : undefined,
    testFiles,
    read: (file) => readFileSync(file, "utf8"),
  };
}

/** The revision has no policy directory at all (the commit before `policies/` was added). */
export class PolicyDirectoryAbsentError extends Error {
  constructor(
    readonly revision: string,
    readonly dir: string,
  ) {
    super(`${revision} has no ${dir}/`);
    this.name = "PolicyDirectoryAbsentError";
  }
}

/** The same layout at a git revision, read with `git show` (nothing is checked out). */
export function filesAtRevision(revision: string, dir: string, cwd = process.cwd()): PolicyFiles {
  const top = git(cwd, ["rev-parse", "--show-toplevel"]).trim();
  const inRepo = relative(top, join(cwd, dir)).split("\\").join("/") || ".";
  const prefix = inRepo === "." ? "" : `${inRepo}/`;
  const listed = git(top, ["ls-tree", "-r", "--name-only", revision, "--", inRepo === "." ? "." : inRepo])
    .split("\n")
    .filter(Boolean);
  const has = (p: string) => listed.includes(p);
  if (listed.length === 0) throw new PolicyDirectoryAbsentError(revision, inRepo);
  if (!has(prefix + POLICY_FILE)) {
    throw new Error(`${revision}:${prefix}${POLICY_FILE} does not exist`);
  }
  return {
    label: `${revision}:${inRepo}`,
    policyFile: `${revision}:${prefix}${POLICY_FILE}`,
    environmentsFile: has(prefix + ENVIRONMENTS_FILE) ? `${revision}:${prefix}${ENVIRONMENTS_FILE}` : undefined,
    testFiles: listed
      .filter((p) => p.startsWith(`${prefix}tests/`) && /\.ya?ml$/.test(p))
      .sort()
      .map((p) => `${revision}:${p}`),
    read: (file) => git(top, ["show", file]),
  };
}

/** True when `spec` names a git revision rather than a path on disk (a path wins when both exist). */
export function isGitRevision(spec: string, cwd = process.cwd()): boolean {
  if (existsSync(join(cwd, spec))) return false;
  try {
    git(cwd, ["rev-parse", "--verify", "--quiet", `${spec}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

function show(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") ? p : rel;
}
