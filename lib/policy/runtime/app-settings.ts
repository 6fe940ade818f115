/**
 * The broker's app-setting names: written by the stacks (lib/constructs/token-broker-platform.ts) and read by the
 * broker (functions-src/settings.ts, functions-src/index.ts). One list, so writer and reader cannot drift apart.
 * Secret-valued settings hold Key Vault references in Azure, never a literal (secure-default rule TB-APP-001).
 */
export const APP_SETTING = {
  /** The compiled policy's hash; the broker refuses a policy.json with another one. */
  policyHash: "TOKEN_BROKER_POLICY_HASH",
  /** Where policy.json is (tests and local runs); default: beside the bundle. */
  policyFile: "TOKEN_BROKER_POLICY_FILE",
  /** Proxies in front of the function that append to X-Forwarded-For (Front Door, App Service front end). */
  trustedProxyHops: "TRUSTED_PROXY_HOPS",
  cosmosEndpoint: "COSMOS_ENDPOINT",
  cosmosDatabase: "COSMOS_DATABASE",
  /** Secret: the account key that signs resource tokens (local runs; in Azure it comes from KEY_VAULT_URL). */
  cosmosKey: "COSMOS_KEY",
  fluidTenantId: "FLUID_TENANT_ID",
  /** The Fluid Relay service endpoint (`service_endpoints`; orderer/storage endpoints are for pre-1.0 clients). */
  fluidEndpoint: "FLUID_ENDPOINT",
  /** Secrets: both tenant keys (local runs; in Azure they come from KEY_VAULT_URL). */
  fluidKey1: "FLUID_KEY1",
  fluidKey2: "FLUID_KEY2",
  /** `key1` (default) or `key2`: the key that signs. */
  fluidActiveKey: "FLUID_ACTIVE_KEY",
  /** The public CDN base URL that signed URLs point at. */
  cdnEndpoint: "CDN_ENDPOINT",
  cdnOriginContainerUrl: "CDN_ORIGIN_CONTAINER_URL",
  /** `user-delegation` (Azure: keyless, through the managed identity) or `account-key` (local, azurite). */
  cdnSigning: "CDN_SIGNING",
  cdnAccountName: "CDN_ACCOUNT_NAME",
  /** Secrets, `account-key` signing only. */
  cdnAccountKey: "CDN_ACCOUNT_KEY",
  cdnAccountKeySecondary: "CDN_ACCOUNT_KEY_SECONDARY",
  /** `primary` (default) or `secondary`. */
  cdnActiveKey: "CDN_ACTIVE_KEY",
  /** Secret, optional: with it, equality-only claims are audited as HMACs (docs/replay.md). */
  auditClaimHashKey: "AUDIT_CLAIM_HASH_KEY",
  /** The shared store (rediss://host:10000 in Azure); unset: in-memory, single-instance semantics. */
  sharedStoreUrl: "SHARED_STORE_URL",
  /**
   * The vault the broker reads the rotated Fluid and Cosmos keys from itself, with a short cache
   * (functions-src/keys/rotated-key-source.ts); set, it replaces FLUID_KEY1/2, FLUID_ACTIVE_KEY and COSMOS_KEY.
   */
  keyVaultUrl: "KEY_VAULT_URL",
  /** Which rotated key documents the broker reads from KEY_VAULT_URL: `fluid`, `cosmos` or `fluid,cosmos`. */
  rotatedKeys: "ROTATED_KEYS",
  /** `true`: Entra auth to the store, user name = the identity's object id (from its own token's `oid`). */
  sharedStoreEntra: "SHARED_STORE_ENTRA",
} as const;

export type AppSettingName = (typeof APP_SETTING)[keyof typeof APP_SETTING];

/**
 * The Key Vault secrets (one JSON key document per two-key resource, functions-src/keys/key-document.ts) that the
 * rotation (`token-broker keys rotate`) writes and the broker reads through KEY_VAULT_URL. Terraform never writes them.
 */
export const ROTATED_KEY_SECRET = { fluid: "fluid-keys", cosmos: "cosmos-keys" } as const;
