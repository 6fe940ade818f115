/** `@azure-token-broker/client`: the core client and CDN URLs. Fluid and Cosmos adapters are separate entry points. */
export { BrokerClient, BROKER_MAX_REQUESTS_PER_CALL } from "./broker-client";
export type { BrokerClientOptions, CredentialAskOptions, CredentialResult } from "./broker-client";
export { BrokerProblemError } from "./problem-error";
export type { BrokerProblemCode } from "./problem-error";
export type { CachedCredential, CredentialStore } from "./credential-cache";
export type { RetryPolicy } from "./backoff";
export type {
  CdnCredential,
  CosmosCredential,
  Credential,
  CredentialOf,
  CredentialRequest,
  FluidCredential,
  FluidScope,
} from "./credential-types";
