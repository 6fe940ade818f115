/** What the broker uses of @azure/storage-blob, loaded on first use through ../load-sdk.ts. */
export {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
