/**
 * Which stacks exist: one per environment in policies/environments.yaml, the ephemeral entry instantiated as
 * `pr-<n>` when TOKEN_BROKER_PR (the pull-request number) is set. Stack ids are `broker-<environment>`.
 */
import { deployableEnvironments, type DeployableEnvironment } from "../lib/policy/authoring/infra-needs";

export interface StackEnvironment extends DeployableEnvironment {
  stackId: string;
  /** The concrete environment name: `dev`, `prod`, `pr-42`. */
  name: string;
}

/** `policy`: a policy directory, or its files (tests vary the policy text). */
export function stackEnvironments(
  policy: Parameters<typeof deployableEnvironments>[0],
  pullRequest = process.env.TOKEN_BROKER_PR,
): StackEnvironment[] {
  return deployableEnvironments(policy, pullRequest).map((e) => ({
    ...e,
    stackId: `broker-${e.infra.environment.name}`,
    name: e.infra.environment.name,
  }));
}
