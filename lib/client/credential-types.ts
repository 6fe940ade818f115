/**
 * What a browser or Node app asks the broker for, and what it gets back: the broker's request and credential
 * shapes (README "Broker contract"), restated here so the client path imports nothing from the broker or Node.
 */
/** The broker's Fluid scopes (lib/policy/runtime/runtime-config.ts; test/client/contract-types.test.ts keeps them equal). */
export type FluidScope = "doc:read" | "doc:write" | "summary:write";

export type CredentialRequest =
  | { type: "cosmos"; container: string; partitionKey?: string; access?: "read" | "all"; ttl?: number }
  | { type: "fluid"; documentId?: string; create?: boolean; scopes?: FluidScope[]; ttl?: number }
  | { type: "cdn"; path: string; ttl?: number };

export interface CosmosCredential {
  type: "cosmos";
  endpoint: string;
  database: string;
  container: string;
  partitionKey: string | null;
  access: "read" | "all";
  /** `{ "dbs/<db>/colls/<container>": "<resource token>" }`, shaped for `CosmosClient({ resourceTokens })`. */
  resourceTokens: Record<string, string>;
  expiresAt: string;
}

export interface FluidCredential {
  type: "fluid";
  tenantId: string;
  endpoint: string;
  /** "" for a creation token. */
  documentId: string;
  scopes: FluidScope[];
  token: string;
  jti?: string;
  expiresAt: string;
}

export interface CdnCredential {
  type: "cdn";
  path: string;
  url: string;
  bindClientIp?: boolean;
  expiresAt: string;
}

export type Credential = CosmosCredential | FluidCredential | CdnCredential;
export type CredentialOf<R extends CredentialRequest> = Extract<Credential, { type: R["type"] }>;

/** True for a request that must never be cached or shared: a Fluid creation token is single-use. */
export function isSingleUse(request: CredentialRequest): boolean {
  return (
    request.type === "fluid" &&
    (request.create === true || request.documentId === undefined || request.documentId === "")
  );
}

/** One cache key per (type, scope): the fields that decide what the broker mints, in a fixed order. */
export function credentialKey(r: CredentialRequest): string {
  switch (r.type) {
    case "cosmos":
      return JSON.stringify(["cosmos", r.container, r.partitionKey ?? null, r.access ?? null, r.ttl ?? null]);
    case "fluid":
      return JSON.stringify(["fluid", r.documentId ?? "", r.scopes ? [...r.scopes].sort() : null, r.ttl ?? null]);
    case "cdn":
      return JSON.stringify(["cdn", r.path, r.ttl ?? null]);
  }
}

/** Whether a credential in a batched answer is the one minted for this request (the broker answers in order). */
export function answers(r: CredentialRequest, c: { type?: unknown } & Record<string, unknown>): boolean {
  if (c.type !== r.type) return false;
  if (r.type === "cosmos") return c.container === r.container;
  if (r.type === "cdn") return c.path === r.path;
  return isSingleUse(r) ? c.documentId === "" : c.documentId === r.documentId;
}
