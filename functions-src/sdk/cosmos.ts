/** What the broker uses of @azure/cosmos, loaded on first use through ../load-sdk.ts. */
export { CosmosClient, ErrorResponse } from "@azure/cosmos";
