/**
 * Which stacks exist: one per environment in policies/environments.yaml, the ephemeral entry instantiated as
 * `pr-<n>` when TOKEN_BROKER_PR (the pull-request number) is set. Stack ids are `broker-<environment>`.
 * Remote state: an entry's `azure.state`, else TOKEN_BROKER_STATE_RESOURCE_GROUP / _STORAGE_ACCOUNT / _CONTAINER
 * (the ephemeral-env workflow sets them, so the job that destroys a pr-<n> environment later finds its state).
 */
import {
  deployableEnvironments,
  type AzureSettings,
  type DeployableEnvironment,
} from "../lib/policy/authoring/infra-needs";

export interface StackEnvironment extends DeployableEnvironment {
  stackId: string;
  /** The concrete environment name: `dev`, `prod`, `pr-42`. */
  name: string;
}

/** `policy`: a policy directory, or its files (tests vary the policy text). */
export function stackEnvironments(
  policy: Parameters<typeof deployableEnvironments>[0],
  pullRequest = process.env.TOKEN_BROKER_PR,
  environ: NodeJS.ProcessEnv = process.env,
): StackEnvironment[] {
  const state = stateFromEnvironment(environ);
  return deployableEnvironments(policy, pullRequest).map((e) => {
    const infra = e.infra.azure.state || !state ? e.infra : { ...e.infra, azure: { ...e.infra.azure, state } };
    return { ...e, infra, stackId: `broker-${infra.environment.name}`, name: infra.environment.name };
  });
}

type StateSettings = NonNullable<AzureSettings["state"]>;

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
