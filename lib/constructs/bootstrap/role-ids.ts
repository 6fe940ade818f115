/**
 * Built-in Azure role definition ids (GUIDs, the same in every tenant). A role assignment condition names roles by
 * id, never by name (learn.microsoft.com/azure/role-based-access-control/conditions-authorization-actions-attributes:
 * `Microsoft.Authorization/roleAssignments:RoleDefinitionId`, type GUID). Ids from
 * learn.microsoft.com/azure/role-based-access-control/built-in-roles (General, Security, Storage, Monitor, Privileged).
 */
import { BUILT_IN_ROLE, type BuiltInRole } from "../role-assignments";

/** Every role the broker stacks assign (lib/constructs/role-assignments.ts BUILT_IN_ROLE), by id. */
export const BROKER_ROLE_IDS: Record<BuiltInRole, string> = {
  [BUILT_IN_ROLE.keyVaultSecretsUser]: "4633458b-17de-408a-b874-0445c86b69e6",
  [BUILT_IN_ROLE.keyVaultSecretsOfficer]: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  [BUILT_IN_ROLE.storageBlobDataOwner]: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  [BUILT_IN_ROLE.storageBlobDataReader]: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  [BUILT_IN_ROLE.storageBlobDelegator]: "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
  [BUILT_IN_ROLE.monitoringMetricsPublisher]: "3913510d-42f4-4e42-8a64-420c390055eb",
};

/** Roles the bootstrap itself assigns. */
export const BOOTSTRAP_ROLE_IDS = {
  /** Read, write and lease state blobs (the azurerm backend locks state with a blob lease). */
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  /** Create and delete role assignments, and nothing else; always with a condition here (delegation). */
  roleBasedAccessControlAdministrator: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
} as const;

/** `/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>`: the form azurerm expects. */
export function roleDefinitionResourceId(subscriptionId: string, guid: string): string {
  return `${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}
