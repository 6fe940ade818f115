/** Azure built-in role names this project assigns; least privilege, never Owner or Contributor. */
export const BUILT_IN_ROLE = {
  keyVaultSecretsUser: "Key Vault Secrets User",
  keyVaultSecretsOfficer: "Key Vault Secrets Officer",
  storageBlobDataOwner: "Storage Blob Data Owner",
  storageBlobDataReader: "Storage Blob Data Reader",
  storageBlobDelegator: "Storage Blob Delegator",
  monitoringMetricsPublisher: "Monitoring Metrics Publisher",
} as const;

export type BuiltInRole = (typeof BUILT_IN_ROLE)[keyof typeof BUILT_IN_ROLE];
