/**
 * The shared store in the stacks: present only when the policy asks for shared state (and the environment is not
 * ephemeral), Entra auth only, private network, the broker's identity granted data access; its secure-default
 * rules fail on fixtures that break them.
 */
import { checkSecureDefaults, type TerraformJson } from "../../lib/constructs/secure-defaults";
import { all, examplePolicyText, only, synthEnvironment, type Resources } from "./helpers";

const withRevocation = () =>
  examplePolicyText().replace(/\nenvironments:|$/, (m) => `\nrevocation:\n  adminRoles: [admin]\n${m}`);
const prod = synthEnvironment("prod", { policyText: withRevocation() });
const ctx = { stage: prod.compiled.config.environment.stage, infra: prod.compiled.infra };

it("is absent when the policy needs no shared state, and in ephemeral environments (in-memory store)", () => {
  expect(synthEnvironment("prod").json.resource.azurerm_managed_redis).toBeUndefined();
  const pr = synthEnvironment("pr-7", { policyText: withRevocation() });
  expect(pr.compiled.infra.sharedStore).toEqual({ reasons: ["revocation"] });
  expect(pr.json.resource.azurerm_managed_redis).toBeUndefined();
  expect(only(pr.json.resource, "azurerm_function_app_flex_consumption").app_settings.SHARED_STORE_URL).toBeUndefined();
});

it("is one Azure Managed Redis with Entra auth only, TLS, private endpoint, no eviction and AOF persistence", () => {
  const r = prod.json.resource;
  const redis = only(r, "azurerm_managed_redis");
  expect(redis).toMatchObject({
    public_network_access: "Disabled",
    default_database: {
      access_keys_authentication_enabled: false,
      client_protocol: "Encrypted",
      eviction_policy: "NoEviction",
      persistence_append_only_file_backup_frequency: "1s",
    },
  });
  const pe = only(r, "azurerm_private_endpoint");
  expect(pe.private_service_connection).toMatchObject({
    subresource_names: ["redisEnterprise"],
    is_manual_connection: false,
  });
  expect(only(r, "azurerm_private_dns_zone").name).toBe("privatelink.redis.azure.net");
  const app = only(r, "azurerm_function_app_flex_consumption");
  expect(app.app_settings).toMatchObject({
    SHARED_STORE_URL: expect.stringMatching(/^rediss:\/\/\$\{azurerm_managed_redis\..+\.hostname\}:10000$/),
    SHARED_STORE_ENTRA: "true",
  });
  expect(JSON.stringify(app.app_settings)).not.toMatch(/access_key|primary_access/);
  expect(app.virtual_network_subnet_id).toMatch(/^\$\{azurerm_subnet\..+\.id\}$/);
});

it("grants the broker's identity data access through the default access policy", () => {
  const deployments = all(prod.json.resource, "azurerm_resource_group_template_deployment");
  expect(deployments).toHaveLength(1);
  const template = JSON.parse(deployments[0].template_content);
  expect(template.resources[0]).toMatchObject({
    type: "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments",
    properties: { accessPolicyName: "default" },
  });
  const parameters = JSON.parse(deployments[0].parameters_content);
  expect(parameters.principalId.value).toMatch(
    /^\$\{azurerm_function_app_flex_consumption\..+\.identity\[0\]\.principal_id\}$/,
  );
  expect(parameters.assignment.value).toMatch(/^[A-Za-z0-9]{1,60}$/);
});

it("passes its secure-default rules as synthesized, and each rule fails on a fixture that breaks it", () => {
  expect(checkSecureDefaults(prod.json, ctx).filter((v) => v.rule.startsWith("TB-REDIS"))).toEqual([]);
  const fixtures: [string, (r: Record<string, any>) => void][] = [
    ["TB-REDIS-001", (r) => (r.default_database.access_keys_authentication_enabled = true)],
    ["TB-REDIS-002", (r) => (r.public_network_access = "Enabled")],
    ["TB-REDIS-003", (r) => (r.default_database.client_protocol = "Plaintext")],
    ["TB-REDIS-004", (r) => (r.default_database.eviction_policy = "AllKeysLRU")],
    ["TB-REDIS-004", (r) => delete r.default_database.persistence_append_only_file_backup_frequency],
  ];
  for (const [rule, mutate] of fixtures) {
    const copy = JSON.parse(JSON.stringify(prod.json)) as { resource: Resources };
    mutate(Object.values(copy.resource.azurerm_managed_redis)[0]);
    expect(checkSecureDefaults(copy as TerraformJson, ctx).map((v) => v.rule)).toEqual([rule]);
  }
});
