/**
 * Which stacks exist: one per environment in policies/environments.yaml, the ephemeral entry instantiated as
 * `pr-<n>` when TOKEN_BROKER_PR (the pull-request number) is set. Stack ids are `broker-<environment>`.
 */
import { compilePolicy, type CompiledPolicy } from "../lib/policy/authoring/compile";
import { formatDiagnostic } from "../lib/policy/authoring/errors";
import { resolveEnvironment, type ResolvedEnvironment } from "../lib/policy/authoring/environments";
import { checkBundle } from "../lib/policy/authoring/check";
import { loadPolicy, type LoadResult } from "../lib/policy/authoring/load";
import { filesOnDisk } from "../lib/policy/authoring/policy-files";
import type { AzureEnvironmentSource } from "../lib/policy/authoring/source-types";

export interface StackEnvironment {
  stackId: string;
  environment: ResolvedEnvironment;
  azure: AzureEnvironmentSource;
  compiled: CompiledPolicy;
}

export function stackEnvironments(policyDir: string, pullRequest = process.env.TOKEN_BROKER_PR): StackEnvironment[] {
  return stackEnvironmentsFrom(loadPolicy(filesOnDisk(policyDir)), policyDir, pullRequest);
}

export function stackEnvironmentsFrom(loaded: LoadResult, policyDir: string, pullRequest?: string): StackEnvironment[] {
  const problems = loaded.bundle ? [...loaded.diagnostics, ...checkBundle(loaded.bundle)] : loaded.diagnostics;
  const errors = problems.filter((d) => d.severity === "error");
  if (!loaded.bundle || errors.length > 0) throw new Error(`the policy in ${policyDir} has errors:\n${errors.map(formatDiagnostic).join("\n")}`);
  const bundle = loaded.bundle;
  if (pullRequest !== undefined && !/^[1-9][0-9]{0,4}$/.test(pullRequest)) throw new Error(`TOKEN_BROKER_PR must be a pull-request number (1-99999), got '${pullRequest}'`);
  const names: string[] = [];
  for (const [entry, e] of Object.entries(bundle.environments.entries)) {
    if (e.deploy === false) continue; // `local`: compiled by `npm run dev`, never deployed
    if (e.stage !== "ephemeral") names.push(entry);
    else if (pullRequest) names.push(`${entry}-${pullRequest}`);
  }
  return names.map((name) => {
    const environment = resolveEnvironment(bundle.environments.entries, name);
    return {
      stackId: `broker-${name}`,
      environment,
      azure: bundle.environments.entries[environment.entry].azure ?? {},
      compiled: compilePolicy(bundle, name, { skipCheck: true }),
    };
  });
}
