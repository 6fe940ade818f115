/**
 * Which stacks exist: one per environment in policies/environments.yaml, the ephemeral entry instantiated as
 * `pr-<n>` when TOKEN_BROKER_PR (the pull-request number) is set. Stack ids are `broker-<environment>`.
 * Remote state: an entry's `azure.state`, else TOKEN_BROKER_STATE_RESOURCE_GROUP / _STORAGE_ACCOUNT / _CONTAINER
 * (the ephemeral-env workflow sets them, so the job that destroys a pr-<n> environment later finds its state).
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

export function stackEnvironments(
  policyDir: string,
  pullRequest = process.env.TOKEN_BROKER_PR,
  environ: NodeJS.ProcessEnv = process.env,
): StackEnvironment[] {
  return stackEnvironmentsFrom(loadPolicy(filesOnDisk(policyDir)), policyDir, pullRequest, environ);
}

type StateSettings = NonNullable<AzureEnvironmentSource["state"]>;

/** All three variables or none: half a backend configuration is a mistake worth stopping for. */
export function stateFromEnvironment(environ: NodeJS.ProcessEnv): StateSettings | undefined {
  const names = [
    "TOKEN_BROKER_STATE_RESOURCE_GROUP",
    "TOKEN_BROKER_STATE_STORAGE_ACCOUNT",
    "TOKEN_BROKER_STATE_CONTAINER",
  ] as const;
  const values = names.map((n) => environ[n]);
  if (values.every((v) => !v)) return undefined;
  const missing = names.filter((_, i) => !values[i]);
  if (missing.length > 0) {
    throw new Error(`remote state needs all of ${names.join(", ")}; missing ${missing.join(", ")}`);
  }
  return { resourceGroup: values[0]!, storageAccount: values[1]!, container: values[2]! };
}

export function stackEnvironmentsFrom(
  loaded: LoadResult,
  policyDir: string,
  pullRequest?: string,
  environ: NodeJS.ProcessEnv = {},
): StackEnvironment[] {
  const stateOverride = stateFromEnvironment(environ);
  const problems = loaded.bundle ? [...loaded.diagnostics, ...checkBundle(loaded.bundle)] : loaded.diagnostics;
  const errors = problems.filter((d) => d.severity === "error");
  if (!loaded.bundle || errors.length > 0) throw new Error(`the policy in ${policyDir} has errors:\n${errors.map(formatDiagnostic).join("\n")}`);
  const bundle = loaded.bundle;
  if (pullRequest !== undefined && !/^[1-9][0-9]{0,4}$/.test(pullRequest)) throw new Error(`TOKEN_BROKER_PR must be a pull-request number (1-99999), got '${pullRequest}'`);
  const names: string[] = [];
  for (const [entry, e] of Object.entries(bundle.environments.entries)) {
    if (e.stage !== "ephemeral") names.push(entry);
    else if (pullRequest) names.push(`${entry}-${pullRequest}`);
  }
  return names.map((name) => {
    const environment = resolveEnvironment(bundle.environments.entries, name);
    return {
      stackId: `broker-${name}`,
      environment,
      azure: withState(bundle.environments.entries[environment.entry].azure ?? {}, stateOverride),
      compiled: compilePolicy(bundle, name, { skipCheck: true }),
    };
  });
}

function withState(azure: AzureEnvironmentSource, state?: StateSettings): AzureEnvironmentSource {
  return azure.state || !state ? azure : { ...azure, state };
}
