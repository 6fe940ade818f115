/**
 * Identity-based host storage (learn.microsoft.com/azure/azure-functions/functions-reference, "Connecting to host
 * storage with an identity"): the host reaches `AzureWebJobsStorage` with the app's system identity, no key.
 * azurerm 4.55 still writes an `AzureWebJobsStorage` connection string with an empty AccountKey whatever
 * `storage_authentication_type` says (function_app_flex_consumption_resource.go:443-449 builds it,
 * helpers/function_app_schema.go:2077-2078 adds it; hashicorp/terraform-provider-azurerm#29693), and a connection
 * string wins over the `__accountName` form. `token-broker deploy publish` removes it after every apply
 * (lib/cli/host-storage-settings.ts). No cdktf import here: the CLI reads these names too..
 */
export const HOST_STORAGE_SETTING = {
  accountName: "AzureWebJobsStorage__accountName",
  credential: "AzureWebJobsStorage__credential",
  /** The provider-injected connection string that must not stay. */
  connectionString: "AzureWebJobsStorage",
} as const;
