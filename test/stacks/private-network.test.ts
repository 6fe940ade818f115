/**
 * The private variant of the platform (TokenBrokerPlatformProps.network = "private"): private endpoints and DNS
 * zones for Key Vault and storage (Cosmos DB only without client resource tokens), public access off on them, the
 * Function App integrated into the VNet, Front Door over Private Link; and the default stays public.
 */
import { checkDeployability, type SynthesizedStack } from "../../lib/constructs/deploy-checks";
import { all, examplePolicyText, only, synthEnvironment } from "./helpers";

const prod = synthEnvironment("prod", { network: "private" });
const r = prod.json.resource;

it("is off by default: no VNet, public access left to each service's default", () => {
  const pub = synthEnvironment("prod").json.resource;
  expect(pub.azurerm_virtual_network).toBeUndefined();
  expect(pub.azurerm_private_endpoint).toBeUndefined();
  expect(only(pub, "azurerm_key_vault").public_network_access_enabled).toBeUndefined();
  expect(only(pub, "azurerm_function_app_flex_consumption").virtual_network_subnet_id).toBeUndefined();
});

it("puts Key Vault and the storage account behind private endpoints with their privatelink zones, public access off", () => {
  expect(only(r, "azurerm_key_vault")).toMatchObject({
    public_network_access_enabled: false,
    network_acls: { default_action: "Deny", bypass: "AzureServices" },
  });
  expect(only(r, "azurerm_storage_account").public_network_access_enabled).toBe(false);
  const endpoints = all(r, "azurerm_private_endpoint").map((e) => [
    e.private_service_connection.subresource_names[0],
    String(e.private_service_connection.private_connection_resource_id).replace(/\.[^.]+\.id\}$/, "}"),
  ]);
  expect(endpoints.sort()).toEqual([
    ["blob", "${azurerm_storage_account}"],
    ["vault", "${azurerm_key_vault}"],
  ]);
  expect(
    all(r, "azurerm_private_dns_zone")
      .map((z) => z.name)
      .sort(),
  ).toEqual(["privatelink.blob.core.windows.net", "privatelink.vaultcore.azure.net"]);
  expect(all(r, "azurerm_private_dns_zone_virtual_network_link")).toHaveLength(2);
});

it("keeps Cosmos DB public while clients use resource tokens, private otherwise", () => {
  expect(prod.compiled.infra.cosmos!.mintsResourceTokens).toBe(true);
  expect(only(r, "azurerm_cosmosdb_account").public_network_access_enabled).toBeUndefined();
  const noTokens = examplePolicyText().replace(/ {6}- cosmos: .*\n/g, "");
  const rbacOnly = synthEnvironment("prod", { policyText: noTokens, network: "private" }).json.resource;
  expect(only(rbacOnly, "azurerm_cosmosdb_account").public_network_access_enabled).toBe(false);
  expect(
    all(rbacOnly, "azurerm_private_endpoint").map((e) => e.private_service_connection.subresource_names[0]),
  ).toContain("Sql");
  expect(all(rbacOnly, "azurerm_private_dns_zone").map((z) => z.name)).toContain("privatelink.documents.azure.com");
});

it("integrates the Function App into the delegated subnet and routes all outbound traffic through it", () => {
  const app = only(r, "azurerm_function_app_flex_consumption");
  const integration = Object.entries(r.azurerm_subnet).find(([, s]) => s.name === "function-integration")!;
  expect(app.virtual_network_subnet_id).toBe(`\${azurerm_subnet.${integration[0]}.id}`);
  expect(app.site_config.vnet_route_all_enabled).toBe(true);
  expect(integration[1].delegation[0].service_delegation.name).toBe("Microsoft.App/environments");
});

it("reaches the CDN origin over Private Link (Premium), and refuses Standard Front Door", () => {
  expect(only(r, "azurerm_cdn_frontdoor_origin").private_link).toMatchObject({
    target_type: "blob",
    private_link_target_id: expect.stringMatching(/^\$\{azurerm_storage_account\..+\.id\}$/),
  });
  expect(() => synthEnvironment("dev", { network: "private" })).toThrow(
    /privateOrigin needs sku Premium_AzureFrontDoor/,
  );
});

it("shares one VNet with the shared store", () => {
  const text = examplePolicyText().replace(/\nenvironments:|$/, (m) => `\nrevocation:\n  adminRoles: [admin]\n${m}`);
  const withStore = synthEnvironment("prod", { policyText: text, network: "private" }).json.resource;
  expect(all(withStore, "azurerm_virtual_network")).toHaveLength(1);
  expect(
    all(withStore, "azurerm_private_endpoint")
      .map((e) => e.private_service_connection.subresource_names[0])
      .sort(),
  ).toEqual(["blob", "redisEnterprise", "vault"]);
});

it("passes deploy-check", () => {
  expect(checkDeployability(prod.json as SynthesizedStack, prod.compiled.infra)).toEqual([]);
});
