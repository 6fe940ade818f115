/** Azure built-in role names this project assigns; least privilege, never Owner or Contributor. */
export const BUILT_IN_ROLE = {
  keyVaultSecretsUser: "Key Vault Secrets User",
  keyVaultSecretsOfficer: "Key Vault Secrets Officer",
  storageBlobDataOwner: "Storage Blob Data Owner",
  storageBlobDataReader: "Storage Blob Data Reader",
  storageBlobDelegator: "Storage Blob Delegator",
  monitoringMetricsPublisher: "Monitoring Metrics Publisher",
} as const;

/**
 * Who receives a role (the grantee comes first in every grant* method, as in the AWS CDK): a managed identity, a
 * user or a group. `granteeName` names the role assignment's construct, so the same grantee twice is caught.
 */
export interface Grantee {
  readonly granteeName: string;
  readonly principalId: string;
}

export type BuiltInRole = (typeof BUILT_IN_ROLE)[keyof typeof BUILT_IN_ROLE];
