/**
 * What `cdktf deploy` needs beyond what the stack says (issue 22): each assertion encodes a constraint of azurerm
 * 4.55 or of Azure, with its source beside the construct that satisfies it.
 */
import { Testing, TerraformStack } from "cdktf";
import { FrontDoor, MAX_WAF_CUSTOM_RULES } from "../../lib/constructs/front-door";
import { join } from "node:path";
import { BrokerFunction } from "../../lib/constructs/broker-function";
import { HOST_STORAGE_SETTING } from "../../lib/constructs/host-storage";
import { BrokerStorage } from "../../lib/constructs/storage";
import { RBAC_PROPAGATION_WAIT } from "../../lib/constructs/key-vault";
import { BrokerStack } from "../../stacks/broker-stack";
import { stackEnvironments } from "../../stacks/environments";
import { ROOT } from "../policy/helpers";
import { all, only, synthEnvironment } from "./helpers";

const ENVIRONMENTS = ["dev", "prod", "pr-42"];

describe.each(ENVIRONMENTS)("%s", (env) => {
  const { json } = synthEnvironment(env);
  const r = json.resource;
  const app = only(r, "azurerm_function_app_flex_consumption");
  const text = JSON.stringify(json);

  it("item 1: the app carries no zip_deploy_file (Kudu zip deploy with basic auth fails on Flex Consumption)", () => {
    expect(app).not.toHaveProperty("zip_deploy_file");
    expect(app.webdeploy_publish_basic_authentication_enabled).toBe(false);
  });

  it("item 1: outputs name the app, its resource group and subscription for `token-broker deploy publish`", () => {
    expect(json.output).toMatchObject({
      function_app_name: { value: expect.stringMatching(/^\$\{azurerm_function_app_flex_consumption\..+\.name\}$/) },
      resource_group_name: { value: expect.stringMatching(/^\$\{azurerm_resource_group\..+\.name\}$/) },
      subscription_id: { value: expect.stringMatching(/^\$\{data\.azurerm_client_config\..+\.subscription_id\}$/) },
    });
  });

  it("item 2: identity-based host storage, no connection string; Blob Data Owner at account scope", () => {
    const account = Object.keys(r.azurerm_storage_account)[0];
    expect(app.app_settings).toMatchObject({
      [HOST_STORAGE_SETTING.accountName]: `\${azurerm_storage_account.${account}.name}`,
      [HOST_STORAGE_SETTING.credential]: "managedidentity",
    });
    expect(Object.keys(app.app_settings).map((k) => k.toLowerCase())).not.toContain("azurewebjobsstorage");
    expect(app.storage_access_key).toBeUndefined();
    const broker = `\${azurerm_function_app_flex_consumption.${Object.keys(r.azurerm_function_app_flex_consumption)[0]}.identity[0].principal_id}`;
    const hostRole = all(r, "azurerm_role_assignment").filter(
      (a) => a.principal_id === broker && a.role_definition_name === "Storage Blob Data Owner",
    );
    expect(hostRole.map((a) => a.scope)).toEqual([`\${azurerm_storage_account.${account}.id}`]);
  });

  it("item 3: Key Vault secrets wait for the deployer's role to propagate (time_sleep after the assignment)", () => {
    const [sleepName, sleep] = Object.entries(r.time_sleep ?? {})[0] ?? [];
    expect(sleep).toMatchObject({ create_duration: RBAC_PROPAGATION_WAIT });
    expect(sleep.depends_on).toEqual([expect.stringMatching(/^azurerm_role_assignment\..*deployer-secrets-officer/)]);
    expect(sleep.triggers.assignment).toMatch(/^\$\{azurerm_role_assignment\..*deployer-secrets-officer.*\.id\}$/);
    for (const secret of all(r, "azurerm_key_vault_secret"))
      expect(secret.depends_on).toEqual([`time_sleep.${sleepName}`]);
    expect(json.terraform).toMatchObject({
      required_providers: { time: expect.objectContaining({ source: "hashicorp/time" }) },
    });
  });

  it("paper review: azurerm's storage data plane stays off (the deployer holds no data role on a keyless account)", () => {
    expect(json.provider).toMatchObject({
      azurerm: [
        expect.objectContaining({
          features: [expect.objectContaining({ storage: [{ data_plane_available: false }] })],
        }),
      ],
    });
    expect(
      all(r, "azurerm_storage_container").every((c) =>
        /^\$\{azurerm_storage_account\..+\.id\}$/.test(c.storage_account_id),
      ),
    ).toBe(true);
  });

  it("paper review: Front Door routes set https_redirect_enabled false (its default true needs Http as well)", () => {
    for (const route of all(r, "azurerm_cdn_frontdoor_route")) {
      expect(route.https_redirect_enabled).toBe(false);
      expect(route.supported_protocols).toEqual(["Https"]);
    }
  });

  it("item 7: the broker and the outputs name Fluid Relay's service endpoint, never an orderer endpoint", () => {
    const server = Object.keys(r.azurerm_fluid_relay_server)[0];
    const serviceEndpoint = `\${element(azurerm_fluid_relay_server.${server}.service_endpoints, 0)}`;
    expect(app.app_settings.FLUID_ENDPOINT).toBe(serviceEndpoint);
    expect(json.output.fluid_endpoint).toEqual({ value: serviceEndpoint });
    expect(text).not.toContain("orderer_endpoints");
  });
});

it("paper review: more than 100 WAF custom rules (azurerm's MaxItems, Front Door's limit) fail at synth", () => {
  const prefixes = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      prefix: `/p${i}/`,
      cache: "private" as const,
      queryStringCaching: "UseQueryString" as const,
      edge: { countries: { deny: ["KP"] } },
    }));
  const frontDoor = (n: number) =>
    new FrontDoor(new TerraformStack(Testing.app(), "s"), "fd", {
      profileName: "afd-x",
      endpointName: "fde-x",
      wafPolicyName: "wafx",
      resourceGroupName: "rg",
      originHost: "st.blob.core.windows.net",
      originContainer: "cdn-origin",
      prefixes: prefixes(n),
      tags: {},
    });
  expect(() => frontDoor(MAX_WAF_CUSTOM_RULES)).not.toThrow();
  expect(() => frontDoor(MAX_WAF_CUSTOM_RULES + 1)).toThrow(/101 edge rules .* at most 100/);
});

describe("item 8: maximumInstanceCount follows the provider's IntBetween(40, 1000)", () => {
  const dev = stackEnvironments(join(ROOT, "policies")).find((s) => s.name === "dev")!;
  const build = (maximumInstanceCount: number) => {
    const stack = new BrokerStack(Testing.app(), "broker-dev", { infra: dev.infra });
    const storage = stack.platform.storage as BrokerStorage;
    return new BrokerFunction(stack, "extra", {
      name: "func-extra",
      planName: "asp-extra",
      location: "westeurope",
      resourceGroupName: "rg",
      storage,
      easyAuth: { issuers: dev.infra.issuers },
      appSettings: {},
      appInsightsConnectionString: "InstrumentationKey=x",
      maximumInstanceCount,
      tags: {},
    });
  };
  it.each([39, 1, 1001, 40.5])("refuses %p", (n) => {
    expect(() => build(n)).toThrow(/maximumInstanceCount must be an integer 40\.\.1000/);
  });
  it.each([40, 1000])("accepts %p", (n) => {
    expect(() => build(n)).not.toThrow();
  });
});
