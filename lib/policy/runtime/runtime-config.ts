/**
 * The compiled policy for one environment: plain JSON that the broker loads as is. Everything the hot path needs
 * is precomputed (durations in seconds, templates split into parts, a claim-value index over the roles).
 * Changing this shape is a breaking change: bump RUNTIME_CONFIG_FORMAT.
 */
import type { TemplatePart } from "./template";

// @2: a claim part may carry `length` (template collisions, issue 7.1), which an @1 broker would ignore.
// @3: a Fluid grant may carry `owner` (issue 21), which an @2 broker would ignore, granting every document.
export const RUNTIME_CONFIG_FORMAT = "azure-token-broker/runtime-config@3";

export type Stage = "ephemeral" | "development" | "production";
export type Scalar = string | number | boolean;
export type CosmosAccess = "read" | "all";
export type FluidScope = "doc:read" | "doc:write" | "summary:write";
export type FluidOwnerScope = "tenant" | "creator";

export interface RuntimeConfig {
  format: typeof RUNTIME_CONFIG_FORMAT;
  /** sha256 over the canonical JSON of everything else; shown in responses, tags and audit records. */
  policyHash: string;
  environment: { name: string; stage: Stage };
  issuers: CompiledIssuer[];
  resources: CompiledResources;
  roles: CompiledRole[];
  index: RoleIndex;
  /** Browser origins the broker answers CORS for (exact, or `http://localhost:*`-style in development). */
  cors?: { allowedOrigins: string[] };
  /** Present when the policy turns revocation on (needs the shared store; see functions-src/revocation). */
  revocation?: CompiledRevocation;
  /** Absent: the broker's per-instance defaults. */
  rateLimit?: CompiledRateLimit;
}

export interface CompiledRevocation {
  adminRoles: string[];
  onStoreDown: "deny" | "allow";
  /** Tokens living longer are refused; a revocation entry expires after this long. */
  maxTokenLifetimeSeconds: number;
}

export interface CompiledRateLimit {
  scope: "instance" | "global";
  perSecond: number;
  burst: number;
}

export interface CompiledIssuer {
  name: string;
  type: "oidc" | "entra";
  /**
   * Exact `iss` values accepted (entra: one per allowed tenant and token version; v2.0
   * https://login.microsoftonline.com/<tenant>/v2.0, v1.0 https://sts.windows.net/<tenant>/).
   */
  issuers: string[];
  /** OIDC discovery document per accepted issuer, same order. */
  discovery: string[];
  tenants?: string[];
  audiences: string[];
  algorithms: string[];
  clockToleranceSeconds: number;
  subjectClaim: string;
  tokenType?: string;
  requiredClaims: string[];
  claims: Record<string, { type: "string" | "number" | "boolean" | "string[]"; pattern?: string; enum?: Scalar[] }>;
}

export interface CompiledResources {
  cosmos?: { database: string; containers: Record<string, { partitionKeyPath: string }> };
  fluid: boolean;
  /** Fluid documents have recorded owners: the claim naming a caller's tenant (resources.fluid.owners.tenant). */
  fluidOwners?: { tenantClaim: string };
  cdn?: { prefixes: Record<string, { cache: "private" | "shared" }> };
}

export type CompiledCondition =
  | { op: "equals"; claim: string; value: Scalar }
  | { op: "in"; claim: string; values: Scalar[] }
  | { op: "contains"; claim: string; value: Scalar }
  | { op: "prefix"; claim: string; value: string }
  | { op: "glob"; claim: string; glob: string }
  | { op: "exists"; claim: string; value: boolean }
  | { op: "all" | "any"; of: CompiledCondition[] }
  | { op: "not"; of: CompiledCondition };

export interface CompiledRole {
  name: string;
  /** Issuer names whose tokens may hold the role; null = every issuer. */
  issuers: string[] | null;
  when: CompiledCondition;
  /** Own grants followed by inherited ones (each says which role declared it). */
  grants: CompiledGrant[];
}

interface GrantOrigin {
  /** `role#index`: the role that declared the grant and its position there. */
  id: string;
  ttlSeconds: number;
}

export interface CompiledCosmosGrant extends GrantOrigin {
  type: "cosmos";
  container: string;
  /** null: the whole container. */
  partitionKey: TemplatePart[] | null;
  access: CosmosAccess;
}

export interface CompiledFluidGrant extends GrantOrigin {
  type: "fluid";
  /** Literal parts may contain `*` wildcards (one or more characters other than '/'). */
  documents: TemplatePart[];
  /**
   * Only documents whose recorded owner is the caller's tenant, or the caller itself (the creator). `documents` is
   * then `*`: the owner record, not the id, decides.
   */
  owner?: FluidOwnerScope;
  create: boolean;
  scopes: FluidScope[];
}

export interface CompiledCdnGrant extends GrantOrigin {
  type: "cdn";
  prefix: TemplatePart[];
  bindClientIp: boolean;
  protocol: "https" | "https,http";
}

export type CompiledGrant = CompiledCosmosGrant | CompiledFluidGrant | CompiledCdnGrant;

/**
 * Roles whose condition requires a specific claim value (`equals`, `in`, `contains`, alone or inside a top-level
 * `all`) are found by looking the caller's claim values up here; only `unindexed` roles are tested one by one.
 * Keys are `<type letter>:<value>` (`s:Docs.Reader`, `n:3`, `b:true`) so 3 and "3" stay apart.
 */
export interface RoleIndex {
  byClaim: Record<string, Record<string, number[]>>;
  unindexed: number[];
}

export function indexKey(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return `s:${value}`;
    case "number":
      return `n:${value}`;
    case "boolean":
      return `b:${value}`;
    default:
      return undefined;
  }
}
