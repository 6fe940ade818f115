/** The policy as written (after YAML parsing and schema validation). Mirrors lib/policy/schemas/policy.schema.json. */
import type { CosmosAccess, FluidScope, Scalar, Stage } from "../runtime/runtime-config";

// The vocabulary shared with the runtime is defined there once; re-exported so authoring code has one import.
export type { CosmosAccess, FluidScope, Scalar, Stage };
export type Duration = string | number;
export type ClaimType = "string" | "number" | "boolean" | "string[]";
export type EntraTokenVersion = 1 | 2;

export interface PolicyDocument {
  version: 1;
  description?: string;
  issuers: Record<string, IssuerSource>;
  resources?: ResourcesSource;
  roles: Record<string, RoleSource>;
  cosmosRbac?: Record<string, CosmosRbacSource>;
  revocation?: RevocationSource;
  rateLimit?: RateLimitSource;
  environments?: Record<string, EnvironmentSource>;
}

export interface IssuerSource {
  type: "oidc" | "entra";
  issuer?: string;
  /** Entries of environments.yaml that trust this issuer; absent: all. */
  environments?: string[];
  tenants?: string[];
  /** entra only: access-token version(s) accepted. @default 2 */
  tokenVersion?: EntraTokenVersion | EntraTokenVersion[];
  audiences: string[];
  algorithms?: string[];
  clockTolerance?: Duration;
  subject?: string;
  tokenType?: string;
  requiredClaims?: string[];
  claims: Record<string, ClaimDeclaration>;
}

export interface ClaimDeclaration {
  type: ClaimType;
  format?: "uuid";
  pattern?: string;
  enum?: Scalar[];
}

export interface ResourcesSource {
  cosmos?: { database: string; containers: Record<string, { partitionKey: string }> };
  fluid?: { owners?: { tenant: string } };
  cdn?: { prefixes: Record<string, CdnPrefixSource> };
}

export interface CdnPrefixSource {
  cache?: "private" | "shared";
  edge?: EdgeRulesSource;
}

export interface EdgeRulesSource {
  countries?: { allow?: string[]; deny?: string[] };
  /** `allow: origins`: the environment's allowedOrigins as Referer prefixes (lib/policy/authoring/edge-referrers.ts). */
  referrers?: { allow?: string[] | "origins"; deny?: string[]; withoutReferer?: "refuse" };
  denialStatus?: number;
}

export interface RoleSource {
  description?: string;
  issuers?: string[];
  stages?: Stage[];
  when: ConditionSource;
  inherits?: string[];
  grants?: GrantSource[];
}

export interface ConditionSource {
  claim?: string;
  equals?: Scalar;
  in?: Scalar[];
  contains?: Scalar;
  prefix?: string;
  glob?: string;
  exists?: boolean;
  all?: ConditionSource[];
  any?: ConditionSource[];
  not?: ConditionSource;
}

export type GrantSource = { cosmos: CosmosGrantSource } | { fluid: FluidGrantSource } | { cdn: CdnGrantSource };

export interface CosmosGrantSource {
  container: string;
  partitionKey?: string;
  access: CosmosAccess;
  ttl: Duration;
}

export interface FluidGrantSource {
  /** A pattern, or the documents the caller's tenant (or the caller) owns. */
  documents: string | { owner: "tenant" | "creator" };
  create?: boolean;
  scopes: FluidScope[];
  ttl: Duration;
}

export interface CdnGrantSource {
  prefix: string;
  ttl: Duration;
  bindClientIp?: boolean;
  protocol?: "https" | "https,http";
}

export interface CosmosRbacSource {
  description?: string;
  principal: string;
  principalType: "user" | "group" | "servicePrincipal";
  role?: "reader" | "contributor";
  dataActions?: string[];
  scope: "account" | "database" | "container";
  container?: string;
  stages?: Stage[];
}

export interface EnvironmentSource {
  stage: Stage;
  description?: string;
  /** false: never synthesized into a stack (the `local` environment of `npm run dev`). */
  deploy?: boolean;
  values?: Record<string, Scalar>;
  /** Web origins allowed to call from a browser (CORS); see environments.schema.json. */
  allowedOrigins?: string[];
  azure?: AzureEnvironmentSource;
}

/** Read by the stacks only: it does not change the compiled policy or its hash. */
export interface AzureEnvironmentSource {
  location?: string;
  workload?: string;
  owner?: string;
  frontDoorSku?: "Standard_AzureFrontDoor" | "Premium_AzureFrontDoor";
  cosmosAutoscaleMaxThroughput?: number;
  expiresAfterDays?: number;
  easyAuthClientId?: string;
  repository?: string;
  state?: { resourceGroup: string; storageAccount: string; container: string };
}

export const OPERATORS = ["equals", "in", "contains", "prefix", "glob", "exists"] as const;
export type Operator = (typeof OPERATORS)[number];
export const COMBINATORS = ["all", "any", "not"] as const;

export interface RevocationSource {
  adminRoles: string[];
  onStoreDown?: "deny" | "allow";
  maxTokenLifetime?: string | number;
}

export interface RateLimitSource {
  scope?: "instance" | "global";
  perSecond?: number;
  burst?: number;
}
