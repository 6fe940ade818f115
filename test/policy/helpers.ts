import { join } from "node:path";
import { checkBundle } from "../../lib/policy/authoring/check";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import type { PolicyDiagnostic } from "../../lib/policy/authoring/errors";
import { loadPolicy, type PolicyBundle } from "../../lib/policy/authoring/load";
import { filesOnDisk, type PolicyFiles } from "../../lib/policy/authoring/policy-files";

export const ROOT = join(__dirname, "..", "..");
export const EXAMPLE_DIR = join(ROOT, "policies");

/** A policy kept in memory (one file with inline environments), for tests that vary it. */
export function filesInMemory(policyText: string, name = "mem/policy.yaml"): PolicyFiles {
  return { label: "mem", policyFile: name, testFiles: [], read: () => policyText };
}

export function diagnose(files: PolicyFiles): PolicyDiagnostic[] {
  const loaded = loadPolicy(files);
  return loaded.bundle ? [...loaded.diagnostics, ...checkBundle(loaded.bundle)] : loaded.diagnostics;
}

export function loadOk(files: PolicyFiles): PolicyBundle {
  const loaded = loadPolicy(files);
  const problems = loaded.bundle ? [...loaded.diagnostics, ...checkBundle(loaded.bundle)] : loaded.diagnostics;
  if (problems.length > 0 || !loaded.bundle) throw new Error(`expected a valid policy, got:\n${problems.map((p) => `${p.line}:${p.column} ${p.message}`).join("\n")}`);
  return loaded.bundle;
}

export function example(): PolicyBundle {
  return loadOk(filesOnDisk(EXAMPLE_DIR));
}

export function compileExample(env: string) {
  return compilePolicy(example(), env);
}
