/**
 * Remote Terraform state for every environment: one storage account, one private container per environments.yaml
 * entry (`tfstate-dev`, `tfstate-pr`, ...), reached with Entra only. The azurerm backend of each BrokerStack points
 * here (`useAzureadAuth`), and each deploy identity gets Storage Blob Data Contributor on its own container only.
 */
import { Construct } from "constructs";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import type { Grantee } from "../role-assignments";
import { BOOTSTRAP_ROLE_IDS } from "./role-ids";

export interface TerraformStateStorageProps {
  readonly resourceGroupName: string;
  readonly location: string;
  /** Globally unique, 3-24 lowercase letters and digits (lib/constructs/naming.ts). */
  readonly accountName: string;
  /** Container name per environments.yaml entry. */
  readonly containers: Record<string, string>;
  readonly tags: Record<string, string>;
  /** Days a deleted or overwritten state blob, or a deleted container, stays recoverable. @default 30 */
  readonly retentionDays?: number;
  /**
   * Public IP ranges allowed to reach the account. GitHub-hosted runners have no fixed addresses, so the
   * workflows need the public endpoint; with self-hosted runners or a fixed egress, list them here.
   * @default none: the public endpoint stays open to the internet, and Entra authorization is the gate
   */
  readonly allowedIpRanges?: string[];
  /** @default "ZRS": state survives the loss of one zone */
  readonly replication?: "LRS" | "ZRS" | "GRS" | "GZRS" | "RAGRS" | "RAGZRS";
}

export class TerraformStateStorage extends Construct {
  readonly account: StorageAccount;
  readonly containers: Record<string, StorageContainer> = {};

  constructor(scope: Construct, id: string, props: TerraformStateStorageProps) {
    super(scope, id);
    const days = props.retentionDays ?? 30;
    if (!Number.isInteger(days) || days < 7 || days > 365) {
      throw new Error(`TerraformStateStorage retentionDays must be 7-365 (Azure allows 1-365), got ${days}`);
    }
    this.account = new StorageAccount(this, "account", {
      name: props.accountName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: props.replication ?? "ZRS",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      // Entra only: no account key, no account SAS, and the portal defaults to Entra too.
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      allowNestedItemsToBePublic: false,
      // Copies only from accounts of the same Entra tenant; no object replication to another tenant.
      allowedCopyScope: "AAD",
      crossTenantReplicationEnabled: false,
      localUserEnabled: false,
      sftpEnabled: false,
      infrastructureEncryptionEnabled: true,
      publicNetworkAccessEnabled: true,
      ...(props.allowedIpRanges?.length && {
        networkRules: { defaultAction: "Deny", ipRules: props.allowedIpRanges, bypass: ["AzureServices"] },
      }),
      // Set through ARM (the blob service's properties; storage_account_resource.go:1655 at azurerm v4.55.0), so no
      // data-plane call is needed while shared keys are off.
      blobProperties: {
        // Every state write keeps the previous version: a bad apply or a deleted blob can be rolled back.
        versioningEnabled: true,
        deleteRetentionPolicy: { days },
        containerDeleteRetentionPolicy: { days },
      },
      tags: props.tags,
    });
    // The state of every environment lives here: deleting the account would orphan every deployed resource.
    new ManagementLock(this, "no-delete", {
      name: "terraform-state",
      scope: this.account.id,
      lockLevel: "CanNotDelete",
      notes: "Terraform state of every token broker environment; remove this lock deliberately before deleting.",
    });
    for (const [entry, name] of Object.entries(props.containers)) {
      this.containers[entry] = new StorageContainer(this, `container-${entry}`, {
        name,
        // ARM, not the data plane (storage_container_resource.go:182 at azurerm v4.55.0): works without a key.
        storageAccountId: this.account.id,
        containerAccessType: "private",
      });
    }
  }

  /** Read, write and lease (lock) the state blobs of one entry's container, and nothing else. */
  grantStateAccess(grantee: Grantee, entry: string): RoleAssignment {
    const container = this.containers[entry];
    if (!container) throw new Error(`no state container for environment '${entry}'`);
    return new RoleAssignment(this, `state-${entry}-${grantee.granteeName}`, {
      scope: container.id,
      roleDefinitionName: "Storage Blob Data Contributor",
      principalId: grantee.principalId,
      description: `Terraform state of ${entry} (${BOOTSTRAP_ROLE_IDS.storageBlobDataContributor})`,
    });
  }
}
