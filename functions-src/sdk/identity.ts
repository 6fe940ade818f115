/** What the broker uses of @azure/identity, loaded on first use through ../load-sdk.ts. */
export { ManagedIdentityCredential } from "@azure/identity";
