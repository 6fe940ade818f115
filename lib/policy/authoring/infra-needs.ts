/**
 * The whole contract between the policy and the stacks: what one environment's infrastructure must provide, with
 * every name and default resolved once. The stacks and constructs import this module and nothing else from
 * lib/policy, so infrastructure and broker cannot disagree (Cosmos local auth stays on only when resource tokens are
 * minted, the app settings the broker reads are the ones the stacks write, and so on).
 */
import { checkedOrThrow, loadCheckedPolicy } from "./checked-policy";
import { compilePolicy } from "./compile";
import { filesOnDisk, type PolicyFiles } from "./policy-files";
import type { AzureEnvironmentSource } from "./source-types";
import type { CompiledIssuer, RuntimeConfig, Stage } from "../runtime/runtime-config";

export { APP_SETTING, ROTATED_KEY_SECRET, type AppSettingName } from "../runtime/app-settings";
import { ROTATED_KEY_SECRET } from "../runtime/app-settings";
export type { RuntimeConfig, Stage };

/**
 * Key Vault secret names the broker reads. Written by the key rotation, never by Terraform: no live key passes
 * through Terraform configuration or the secrets it manages (docs: README "Key rotation").
 */
export const KEY_VAULT_SECRET = {
  cosmosKeys: ROTATED_KEY_SECRET.cosmos,
  fluidKeys: ROTATED_KEY_SECRET.fluid,
} as const;

/** An environment's `azure:` section from environments.yaml, defaults applied. */
export interface AzureSettings {
  /** @default "westeurope" */
  location: string;
  /** Short name in every resource name. @default "tb" */
  workload: string;
  /** The `owner` tag. @default "platform" */
  owner: string;
  /** @default "Standard_AzureFrontDoor" */
  frontDoorSku: "Standard_AzureFrontDoor" | "Premium_AzureFrontDoor";
  /** @default 1000 */
  cosmosAutoscaleMaxThroughput: number;
  /** Ephemeral environments only: the `expires-on` tag is this many days after deploy. @default 7 */
  expiresAfterDays: number;
  /** The app registration Easy Auth validates against. @default the first issuer's first audience */
  easyAuthClientId?: string;
  /**
   * The `repository` tag (owner/name): the expiry sweep destroys only groups its own repository made.
   * @default GITHUB_REPOSITORY at synth (stacks/environments.ts), else no tag
   */
  repository?: string;
  /** Remote Terraform state (non-ephemeral environments). @default local state */
  state?: AzureEnvironmentSource["state"];
}

export const INFRA_NEEDS_FORMAT = "azure-token-broker/infra-needs@1";

export interface InfraNeeds {
  format: typeof INFRA_NEEDS_FORMAT;
  policyHash: string;
  /** `entry`: the environments.yaml entry it comes from (`pr` for `pr-42`). */
  environment: { name: string; entry: string; stage: Stage };
  azure: AzureSettings;
  /** What Easy Auth needs of each issuer: the compiled issuer's identity, keys and audiences. */
  issuers: Pick<CompiledIssuer, "name" | "type" | "issuers" | "discovery" | "tenants" | "audiences">[];
  cosmos?: {
    database: string;
    containers: { name: string; partitionKeyPath: string }[];
    /** Some role mints resource tokens, which need the account key. */
    mintsResourceTokens: boolean;
    /** true unless resource tokens are minted: an account with local auth disabled rejects them. */
    localAuthenticationDisabled: boolean;
    rbac: {
      name: string;
      principalId: string;
      principalType: "user" | "group" | "servicePrincipal";
      role?: "reader" | "contributor";
      dataActions?: string[];
      scope: "account" | "database" | "container";
      container?: string;
    }[];
  };
  /** `ownerRegistry`: the policy records Fluid document owners (a Cosmos container only the broker reaches). */
  fluid?: { mintsTokens: boolean; ownerRegistry?: boolean };
  cdn?: {
    prefixes: {
      prefix: string;
      cache: "private" | "shared";
      /** Front Door route query-string caching: a private prefix must vary by SAS, or a cached copy skips the check. */
      queryStringCaching: "UseQueryString" | "IgnoreQueryString";
      edge?: { countries?: { allow?: string[]; deny?: string[] }; referrers?: { allow?: string[]; deny?: string[] } };
    }[];
    /** One block status per WAF policy (Front Door allows 200, 403, 405, 406, 429; the policy allows no 200). */
    denialStatus: number;
  };
  /** Key Vault secrets the broker reads (by name, values of KEY_VAULT_SECRET). */
  secrets: string[];
  /** Browser origins for platform CORS (Function App, Cosmos, storage); see lib/constructs/cors.ts. */
  allowedOrigins: string[];
  /** State shared across instances (revocation, a global rate limit): one Redis per environment. */
  sharedStore?: { reasons: ("revocation" | "global-rate-limit")[] };
}

/** One deployable environment: what its infrastructure needs, and the compiled policy its broker ships with. */
export interface DeployableEnvironment {
  infra: InfraNeeds;
  runtimeConfig: RuntimeConfig;
}

/**
 * Every environment to deploy from a policy directory: each non-ephemeral entry, and the ephemeral entry as
 * `<entry>-<pullRequest>` when a pull-request number is given. Throws PolicyError when the policy has errors.
 */
export function deployableEnvironments(policy: string | PolicyFiles, pullRequest?: string): DeployableEnvironment[] {
  const bundle = checkedOrThrow(loadCheckedPolicy(typeof policy === "string" ? filesOnDisk(policy) : policy));
  if (pullRequest !== undefined && !/^[1-9][0-9]{0,4}$/.test(pullRequest)) {
    throw new Error(`the pull-request number must be 1-99999, got '${pullRequest}'`);
  }
  const names: string[] = [];
  for (const [entry, e] of Object.entries(bundle.environments.entries)) {
    if (e.deploy === false) continue; // `local`: compiled by `npm run dev`, never deployed
    if (e.stage !== "ephemeral") names.push(entry);
    else if (pullRequest) names.push(`${entry}-${pullRequest}`);
  }
  return names.map((name) => {
    const { config, infra } = compilePolicy(bundle, name);
    return { infra, runtimeConfig: config };
  });
}
