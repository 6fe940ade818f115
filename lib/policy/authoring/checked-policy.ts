/**
 * The one way to a policy the compiler accepts: load (YAML + JSON Schema), then every semantic check. Only a bundle
 * with no errors comes back, branded `CheckedPolicy`; `compilePolicy` takes nothing else, so no caller can compile
 * an unchecked policy or forget to check.
 */
import { checkBundle } from "./check";
import { PolicyError, type PolicyDiagnostic } from "./errors";
import { loadPolicy, type LoadResult, type PolicyBundle } from "./load";
import type { PolicyFiles } from "./policy-files";
import type { PolicyDocument } from "./source-types";
import { YamlSource } from "./yaml-source";

declare const checked: unique symbol;

/** A bundle that loaded, validated and passed every check. Only `loadCheckedPolicy` makes one. */
export type CheckedPolicy = PolicyBundle & { readonly [checked]: true };

export type CheckedLoad =
  /** `diagnostics` holds warnings only. */
  | { ok: true; policy: CheckedPolicy; diagnostics: PolicyDiagnostic[] }
  /** `diagnostics` holds at least one error, in file order. */
  | { ok: false; diagnostics: PolicyDiagnostic[] };

export function loadCheckedPolicy(files: PolicyFiles): CheckedLoad {
  return checkLoadedPolicy(loadPolicy(files));
}

/**
 * For a caller that must adjust a loaded bundle before it is checked (the local environment fills in the ports it
 * listens on): the adjusted bundle goes through every check like any other.
 */
export function checkLoadedPolicy(loaded: LoadResult): CheckedLoad {
  const diagnostics = loaded.bundle ? [...loaded.diagnostics, ...checkBundle(loaded.bundle)] : loaded.diagnostics;
  if (!loaded.bundle || diagnostics.some((d) => d.severity === "error")) return { ok: false, diagnostics };
  return { ok: true, policy: loaded.bundle as CheckedPolicy, diagnostics };
}

/** The checked policy, or a PolicyError listing every error (for callers that cannot go on without one). */
export function checkedOrThrow(result: CheckedLoad): CheckedPolicy {
  if (!result.ok) throw new PolicyError(result.diagnostics.filter((d) => d.severity === "error"));
  return result.policy;
}

/**
 * What a side without a policy grants: nothing (no issuer, no role, no environment). A review of the pull request
 * that adds `policies/` compares against it, so everything the head grants reads as widening, not as a crash.
 */
export function emptyPolicy(label: string): CheckedPolicy {
  const source = YamlSource.parse(label, "version: 1\nissuers: {}\nroles: {}\nenvironments: {}\n").source!;
  const files: PolicyFiles = { label, policyFile: label, testFiles: [], read: () => "" };
  const document = source.value as PolicyDocument;
  return {
    files,
    policy: source,
    document,
    environments: { source, path: ["environments"], entries: {} },
  } as CheckedPolicy;
}
