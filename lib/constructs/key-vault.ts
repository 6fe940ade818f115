/** Key Vault in RBAC mode holding the broker's secrets, read by the function through Key Vault references. */
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault as AzureKeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { Construct } from "constructs";
import { BUILT_IN_ROLE, type Grantee } from "./role-assignments";

export interface KeyVaultProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /**
   * Purge protection: a deleted vault and its secrets cannot be purged before the retention ends.
   * Turn off only for throw-away environments, whose names must be reusable at once.
   * @default true
   */
  readonly purgeProtection?: boolean;
  /** @default 90 */
  readonly softDeleteRetentionDays?: number;
  /**
   * Reachable from public networks. Off: only through a private endpoint (PrivateNetwork), and `cdktf deploy` must
   * run where that endpoint resolves, since the provider writes secrets on the data plane.
   * @default true
   */
  readonly publicNetworkAccess?: boolean;
  readonly tags: Record<string, string>;
}

/**
 * How long secrets wait after the deployer's data-plane role is assigned. Azure RBAC assignments take effect after a
 * delay ("can take up to 10 minutes", learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Symptom -
 * Role assignment changes are not being detected"; a few minutes in practice), and azurerm 4.55 does not retry a 403:
 * `azurerm_key_vault_secret` create first reads the secret and fails on anything but 404
 * (internal/services/keyvault/key_vault_secret_resource.go:143-147 at v4.55.0). The wait runs only when the role
 * assignment is created (time_sleep waits on create), so later deploys do not pay it.
 */
export const RBAC_PROPAGATION_WAIT = "120s";

export class KeyVault extends Construct {
  readonly vault: AzureKeyVault;
  /** Lets the identity running `cdktf deploy` write secrets; secrets wait for it. */
  private readonly deployerAccess: RoleAssignment;
  /** Secrets depend on this wait, which depends on the deployer's role (RBAC_PROPAGATION_WAIT). */
  readonly deployerAccessPropagated: Sleep;

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    const retention = props.softDeleteRetentionDays ?? 90;
    if (retention < 7 || retention > 90)
      throw new Error(`KeyVaultProps.softDeleteRetentionDays must be 7..90, got ${retention}`);
    const client = new DataAzurermClientConfig(this, "client");
    this.vault = new AzureKeyVault(this, "vault", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      tenantId: client.tenantId,
      skuName: "standard",
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: props.purgeProtection ?? true,
      softDeleteRetentionDays: retention,
      ...(props.publicNetworkAccess === false && {
        publicNetworkAccessEnabled: false,
        networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
      }),
      tags: props.tags,
    });
    this.deployerAccess = new RoleAssignment(this, "deployer-secrets-officer", {
      scope: this.vault.id,
      roleDefinitionName: BUILT_IN_ROLE.keyVaultSecretsOfficer,
      principalId: client.objectId,
    });
    this.deployerAccessPropagated = new Sleep(this, "deployer-access-propagation", {
      createDuration: RBAC_PROPAGATION_WAIT,
      // A new assignment (another deployer, a recreated vault) waits again.
      triggers: { assignment: this.deployerAccess.id },
      dependsOn: [this.deployerAccess],
    });
  }

  addSecret(id: string, name: string, value: string): KeyVaultSecret {
    return new KeyVaultSecret(this, `secret-${id}`, {
      name,
      value,
      keyVaultId: this.vault.id,
      contentType: "text/plain",
      dependsOn: [this.deployerAccessPropagated],
    });
  }

  grantSecretsRead(grantee: Grantee): RoleAssignment {
    return new RoleAssignment(this, `secrets-user-${grantee.granteeName}`, {
      scope: this.vault.id,
      roleDefinitionName: BUILT_IN_ROLE.keyVaultSecretsUser,
      principalId: grantee.principalId,
      principalType: "ServicePrincipal",
    });
  }

  /** An app setting value that App Service resolves from the vault (versionless: follows rotation). */
  static reference(secret: KeyVaultSecret): string {
    return `@Microsoft.KeyVault(SecretUri=${secret.versionlessId}/)`;
  }
}
