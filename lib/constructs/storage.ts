/** Storage: the function's deployment container and the CDN origin container. Entra auth only, nothing public. */
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { Construct } from "constructs";
import { CORS_MAX_AGE_SECONDS, platformOrigins } from "./cors";
import { BUILT_IN_ROLE, type BuiltInRole, type Grantee } from "./role-assignments";

export interface BrokerStorageProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** @default "ZRS" */
  readonly replication?: "LRS" | "ZRS" | "GRS" | "GZRS";
  /**
   * Shared-key (account key) access. Off: every caller uses Entra, and the CDN uses user delegation SAS.
   * @default false
   */
  readonly sharedKeyAccess?: boolean;
  /** Reachable from public networks. Off: private endpoint only (PrivateNetwork). @default true */
  readonly publicNetworkAccess?: boolean;
  /** Web origins whose pages fetch() signed CDN URLs (read-only blob CORS). @default none */
  readonly allowedOrigins?: string[];
  readonly tags: Record<string, string>;
}

export class BrokerStorage extends Construct {
  readonly account: StorageAccount;
  /** Flex Consumption reads the function package from here. */
  readonly deploymentContainer: StorageContainer;
  /** Front Door's origin: CDN paths map to blobs here. */
  readonly originContainer: StorageContainer;

  constructor(scope: Construct, id: string, props: BrokerStorageProps) {
    super(scope, id);
    const origins = platformOrigins(this, props.allowedOrigins, "Blob storage CORS");
    this.account = new StorageAccount(this, "account", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: props.replication ?? "ZRS",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      sharedAccessKeyEnabled: props.sharedKeyAccess ?? false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      ...(props.publicNetworkAccess === false && { publicNetworkAccessEnabled: false }),
      blobProperties: {
        deleteRetentionPolicy: { days: 7 },
        containerDeleteRetentionPolicy: { days: 7 },
        // Read-only: a signed URL grants GET; nothing else is ever allowed cross-origin.
        ...(origins.length > 0 && {
          corsRule: [
            {
              allowedOrigins: origins,
              allowedMethods: ["GET", "HEAD"],
              allowedHeaders: ["range", "if-none-match", "if-modified-since"],
              exposedHeaders: ["content-length", "content-type", "etag", "last-modified"],
              maxAgeInSeconds: CORS_MAX_AGE_SECONDS,
            },
          ],
        }),
      },
      tags: props.tags,
    });
    const container = (cid: string, name: string) =>
      new StorageContainer(this, cid, { name, storageAccountId: this.account.id, containerAccessType: "private" });
    this.deploymentContainer = container("deployment", "function-releases");
    this.originContainer = container("origin", "cdn-origin");
  }

  get blobHost(): string {
    return this.account.primaryBlobHost;
  }

  containerUrl(container: StorageContainer): string {
    return `${this.account.primaryBlobEndpoint}${container.name}`;
  }

  /**
   * A role on one container (or the account, for roles that only exist there, like the delegator).
   * `purpose` tells two grants to the same grantee apart.
   */
  grant(
    grantee: Grantee,
    role: BuiltInRole,
    options: { container?: StorageContainer; purpose: string },
  ): RoleAssignment {
    const { container, purpose } = options;
    return new RoleAssignment(this, `role-${grantee.granteeName}-${purpose}`, {
      scope: container ? `${this.account.id}/blobServices/default/containers/${container.name}` : this.account.id,
      roleDefinitionName: role,
      principalId: grantee.principalId,
      principalType: "ServicePrincipal",
    });
  }

  /** What the broker needs to sign CDN URLs without a key: a user delegation key, and read on the origin. */
  grantSigning(grantee: Grantee): void {
    this.grant(grantee, BUILT_IN_ROLE.storageBlobDelegator, { purpose: "delegator" });
    this.grant(grantee, BUILT_IN_ROLE.storageBlobDataReader, {
      container: this.originContainer,
      purpose: "origin-reader",
    });
  }

  /**
   * The Functions host's storage, reached with the app's identity: Storage Blob Data Owner at account scope, the role
   * Microsoft lists for `AzureWebJobsStorage` with an identity (learn.microsoft.com/azure/azure-functions/
   * functions-reference, "Connecting to host storage with an identity": blob for keys, leases and timer singleton
   * locks; queue and table roles only for blob triggers and Durable Functions, which the broker does not use). It
   * also covers Flex Consumption reading the app package from the deployment container.
   */
  grantHostStorage(grantee: Grantee): RoleAssignment {
    return this.grant(grantee, BUILT_IN_ROLE.storageBlobDataOwner, { purpose: "host-storage" });
  }
}
