/**
 * Which stacks exist: one per environment in policies/environments.yaml, the ephemeral entry instantiated as
 * `pr-<n>` when TOKEN_BROKER_PR (the pull-request number) is set. Stack ids are `broker-<environment>`.
 * Remote state: an entry's `azure.state`, else TOKEN_BROKER_STATE_RESOURCE_GROUP / _STORAGE_ACCOUNT / _CONTAINER
 * (the ephemeral-env workflow sets them, so the job that destroys a pr-<n> environment later finds its state).
 * In CI (`CI` or `GITHUB_ACTIONS` set) an ephemeral environment without remote state is refused: its state would
 * die with the runner, and the destroy on close would then "destroy" nothing and leak every resource.
 * The `repository` tag: an entry's `azure.repository`, else GITHUB_REPOSITORY.
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
  const repository = environ.GITHUB_REPOSITORY || undefined;
  return deployableEnvironments(policy, pullRequest).map((e) => {
    const azure = {
      ...e.infra.azure,
      ...(!e.infra.azure.state && state && { state }),
      ...(!e.infra.azure.repository && repository && { repository }),
    };
    const infra = { ...e.infra, azure };
    const name = infra.environment.name;
    if (infra.environment.stage === "ephemeral" && !azure.state && runsInCi(environ)) {
      throw new Error(
        `${name}: an ephemeral environment in CI needs remote state, or its destroy finds nothing and leaks ` +
          "everything; set TOKEN_BROKER_STATE_RESOURCE_GROUP, TOKEN_BROKER_STATE_STORAGE_ACCOUNT and " +
          "TOKEN_BROKER_STATE_CONTAINER (the workflow maps them from the TFSTATE_* repository variables)",
      );
    }
    return { ...e, infra, stackId: `broker-${name}`, name };
  });
}

/** GitHub Actions sets both (docs.github.com/actions/reference/variables-reference); other CI systems set CI. */
function runsInCi(environ: NodeJS.ProcessEnv): boolean {
  return [environ.CI, environ.GITHUB_ACTIONS].some((v) => v !== undefined && v !== "" && v.toLowerCase() !== "false");
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
