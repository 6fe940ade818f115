/**
 * The bootstrap's secure-default rules: each one fires on the unsafe variant of the synthesized stack (so no rule
 * passes vacuously), none fires on the stack as built, and a violation fails synthesis with validations on.
 */
import { Testing } from "cdktf";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { checkBootstrapDefaults } from "../../lib/constructs/bootstrap/bootstrap-secure-defaults";
import { synthBootstrap } from "./bootstrap-helpers";

const { json, stack } = synthBootstrap();
type Res = Record<string, Record<string, Record<string, any>>>;

function mutated(change: (r: Res) => void) {
  const copy = JSON.parse(JSON.stringify(json)) as { resource: Res };
  change(copy.resource);
  return checkBootstrapDefaults(copy).map((v) => v.rule);
}
const firstOf = (r: Res, type: string) => Object.values(r[type])[0];

it("the stack as built has no finding", () => {
  expect(checkBootstrapDefaults(json)).toEqual([]);
});

it.each<[string, (r: Res) => void]>([
  ["TB-ST-003", (r) => (firstOf(r, "azurerm_storage_account").shared_access_key_enabled = true)],
  ["TB-ST-002", (r) => (firstOf(r, "azurerm_storage_account").min_tls_version = "TLS1_0")],
  ["TB-ST-001", (r) => (firstOf(r, "azurerm_storage_container").container_access_type = "blob")],
  ["TB-BOOT-ST-001", (r) => (firstOf(r, "azurerm_storage_account").blob_properties.versioning_enabled = false)],
  [
    "TB-BOOT-ST-001",
    (r) => (firstOf(r, "azurerm_storage_account").blob_properties.container_delete_retention_policy.days = 1),
  ],
  ["TB-BOOT-ST-002", (r) => delete firstOf(r, "azurerm_storage_account").default_to_oauth_authentication],
  ["TB-BOOT-ST-003", (r) => delete r.azurerm_management_lock],
  ["TB-BOOT-ID-001", (r) => (firstOf(r, "azurerm_federated_identity_credential").subject = "repo:contoso/docs:*")],
  ["TB-BOOT-ID-001", (r) => (firstOf(r, "azurerm_federated_identity_credential").audience = ["api://other"])],
  [
    "TB-BOOT-IAM-001",
    (r) => {
      for (const a of Object.values(r.azurerm_role_assignment)) delete a.condition;
    },
  ],
  [
    "TB-BOOT-IAM-002",
    (r) => firstOf(r, "azurerm_role_definition").permissions[0].actions.push("Microsoft.Authorization/locks/*"),
  ],
  ["TB-BOOT-IAM-002", (r) => firstOf(r, "azurerm_role_definition").permissions[0].actions.push("*")],
  [
    "TB-BOOT-IAM-003",
    (r) =>
      (firstOf(r, "azurerm_role_assignment").role_definition_id =
        "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
  ],
  ["TB-IAM-001", (r) => (firstOf(r, "azurerm_role_assignment").role_definition_name = "Contributor")],
  ["TB-BOOT-APP-001", (r) => (firstOf(r, "azuread_application").api.requested_access_token_version = 1)],
  ["TB-BOOT-APP-001", (r) => (r.azuread_application_password = { p: { application_id: "x" } })],
  ["TB-BOOT-APP-002", (r) => (firstOf(r, "azuread_service_principal").app_role_assignment_required = false)],
])("%s fires on the unsafe variant", (rule, change) => {
  expect(mutated(change)).toContain(rule);
});

it("a custom role that may assign roles needs the condition too", () => {
  const rules = mutated((r) => {
    firstOf(r, "azurerm_role_definition").permissions[0].actions.push("Microsoft.Authorization/roleAssignments/write");
    for (const a of Object.values(r.azurerm_role_assignment)) delete a.condition;
  });
  expect(rules.filter((x) => x === "TB-BOOT-IAM-001").length).toBeGreaterThanOrEqual(4);
});

it("a violation fails synthesis with validations on, naming rule and resource", () => {
  const account = stack.node.findAll().find((c) => c instanceof StorageAccount) as StorageAccount;
  account.addOverride("shared_access_key_enabled", true);
  expect(() => Testing.synth(stack, true)).toThrow(/TB-ST-003 azurerm_storage_account\.state_account_[0-9A-F]+/);
});
