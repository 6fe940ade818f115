import { join } from "node:path";
import { loadCheckedPolicy, type CheckedPolicy } from "../../lib/policy/authoring/checked-policy";
import { loadPolicy } from "../../lib/policy/authoring/load";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import type { PolicyDiagnostic } from "../../lib/policy/authoring/errors";
import { filesOnDisk, type PolicyFiles } from "../../lib/policy/authoring/policy-files";

export const ROOT = join(__dirname, "..", "..");
export const EXAMPLE_DIR = join(ROOT, "policies");

/** A policy kept in memory (one file with inline environments), for tests that vary it. */
export function filesInMemory(policyText: string, name = "mem/policy.yaml"): PolicyFiles {
  return { label: "mem", policyFile: name, testFiles: [], read: () => policyText };
}

export function diagnose(files: PolicyFiles): PolicyDiagnostic[] {
  return loadCheckedPolicy(files).diagnostics;
}

export function loadOk(files: PolicyFiles): CheckedPolicy {
  const loaded = loadCheckedPolicy(files);
  const problems = loaded.diagnostics;
  if (problems.length > 0 || !loaded.ok)
    throw new Error(
      `expected a valid policy, got:\n${problems.map((p) => `${p.line}:${p.column} ${p.message}`).join("\n")}`,
    );
  return loaded.policy;
}

export function example(): CheckedPolicy {
  return loadOk(filesOnDisk(EXAMPLE_DIR));
}

export function compileExample(env: string) {
  return compilePolicy(example(), env);
}

/**
 * Compiles WITHOUT the semantic checks, on purpose, by casting past the CheckedPolicy brand: only for tests of the
 * evaluator's own defence against policies that `policy check` refuses. Production code has no such path.
 */
export function compileUnchecked(files: PolicyFiles, env: string) {
  const loaded = loadPolicy(files);
  if (!loaded.bundle)
    throw new Error(`the policy does not load: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  return compilePolicy(loaded.bundle as CheckedPolicy, env);
}
