/** Backend limits the compiler enforces. An over-limit value is an error, never a silent clamp. */

/** Cosmos DB resource tokens: 10 s to 18,000 s (REST reference, x-ms-documentdb-expiry-seconds). */
export const COSMOS_MAX_TTL_SECONDS = 5 * 3600;
/** Fluid Relay tokens: at most one hour (learn.microsoft.com/azure/azure-fluid-relay/how-tos/fluid-json-web-token). */
export const FLUID_MAX_TTL_SECONDS = 3600;
/** CDN SAS: a user delegation key, and so a user delegation SAS, lives at most 7 days. */
export const CDN_MAX_TTL_SECONDS = 7 * 86400;
/** Shorter than a minute leaves a client no time to use a credential across ordinary clock skew. */
export const MIN_TTL_SECONDS = 60;
/** OIDC clock tolerance: anything above 5 minutes makes `exp` meaningless for short tokens. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
export const DEFAULT_ALGORITHMS = ["RS256", "ES256"];

export const BACKEND_TTL_LIMIT = {
  cosmos: { max: COSMOS_MAX_TTL_SECONDS, why: "the Cosmos DB resource-token limit" },
  fluid: { max: FLUID_MAX_TTL_SECONDS, why: "the Fluid Relay token limit" },
  cdn: { max: CDN_MAX_TTL_SECONDS, why: "the user delegation SAS limit" },
} as const;
