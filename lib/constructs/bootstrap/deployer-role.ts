/**
 * What a deploy identity may do in the subscription: a custom role with the resource actions the broker stacks
 * need (no `*` write, no Microsoft.Authorization writes, so no lock can be lifted and no role granted through it),
 * plus "Role Based Access Control Administrator" with a delegation condition: it may create and delete role
 * assignments only for the built-in roles the broker stacks assign, and only to service principals (managed
 * identities). Condition syntax: learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples
 * ("Constrain roles and principal types"); attributes: .../conditions-authorization-actions-attributes.
 *
 * The limit: Azure RBAC cannot grant rights on resource groups that do not exist yet by a name pattern, so the
 * resource actions hold at subscription scope. The state account's CanNotDelete lock survives them (no lock action
 * here). A dedicated subscription for pull-request environments is the hard boundary.
 */
import { Construct } from "constructs";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import type { Grantee } from "../role-assignments";
import { BOOTSTRAP_ROLE_IDS, BROKER_ROLE_IDS, roleDefinitionResourceId } from "./role-ids";

/** Resource actions for every resource type the broker stacks create (lib/constructs/*). */
export const DEPLOYER_ACTIONS = [
  "*/read",
  "Microsoft.Resources/subscriptions/resourceGroups/write",
  "Microsoft.Resources/subscriptions/resourceGroups/delete",
  "Microsoft.Resources/deployments/*",
  "Microsoft.DocumentDB/databaseAccounts/*",
  "Microsoft.FluidRelay/fluidRelayServers/*",
  "Microsoft.KeyVault/vaults/*",
  "Microsoft.KeyVault/locations/deletedVaults/purge/action",
  "Microsoft.KeyVault/locations/operationResults/read",
  "Microsoft.Storage/storageAccounts/*",
  "Microsoft.Web/serverfarms/*",
  "Microsoft.Web/sites/*",
  "Microsoft.Insights/components/*",
  "Microsoft.OperationalInsights/workspaces/*",
  "Microsoft.Cdn/profiles/*",
  "Microsoft.Network/frontDoorWebApplicationFirewallPolicies/*",
  "Microsoft.Network/virtualNetworks/*",
  "Microsoft.Network/privateEndpoints/*",
  "Microsoft.Network/privateDnsZones/*",
  "Microsoft.Network/networkInterfaces/*",
  "Microsoft.Cache/redisEnterprise/*",
  "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
];

export interface DeployerRoleProps {
  /** `/subscriptions/<id>` */
  readonly subscriptionScope: string;
  readonly workload: string;
}

export class DeployerRole extends Construct {
  readonly definition: RoleDefinition;
  private readonly scope: string;

  constructor(scope: Construct, id: string, props: DeployerRoleProps) {
    super(scope, id);
    this.scope = props.subscriptionScope;
    this.definition = new RoleDefinition(this, "definition", {
      name: `Token broker deployer (${props.workload})`,
      scope: props.subscriptionScope,
      description: "Deploys and destroys token broker environments; grants no roles and lifts no locks by itself.",
      permissions: [{ actions: DEPLOYER_ACTIONS }],
      assignableScopes: [props.subscriptionScope],
    });
  }

  /** The custom role, and role-assignment rights limited to the broker's roles and to service principals. */
  grant(grantee: Grantee): RoleAssignment[] {
    const deploy = new RoleAssignment(this, `deploy-${grantee.granteeName}`, {
      scope: this.scope,
      roleDefinitionId: this.definition.roleDefinitionResourceId,
      principalId: grantee.principalId,
      principalType: "ServicePrincipal",
    });
    const delegate = new RoleAssignment(this, `assign-${grantee.granteeName}`, {
      scope: this.scope,
      roleDefinitionId: roleDefinitionResourceId(this.scope, BOOTSTRAP_ROLE_IDS.roleBasedAccessControlAdministrator),
      principalId: grantee.principalId,
      principalType: "ServicePrincipal",
      condition: roleAssignmentCondition(Object.values(BROKER_ROLE_IDS)),
      conditionVersion: "2.0",
      description: "May assign only the roles the broker stacks assign, only to service principals",
    });
    return [deploy, delegate];
  }
}

/** Allows roleAssignments/write and /delete only for these role ids and principal type ServicePrincipal. */
export function roleAssignmentCondition(roleIds: string[]): string {
  const ids = [...roleIds].sort().join(", ");
  const limit = (source: "Request" | "Resource") =>
    `@${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${ids}} AND ` +
    `@${source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}`;
  return (
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (${limit("Request")})) AND ` +
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (${limit("Resource")}))`
  );
}
