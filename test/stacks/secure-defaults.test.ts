/**
 * Each secure-default rule fails on a fixture that breaks it: the real synthesized prod (or pr) stack with one
 * property changed. The unchanged stacks pass every rule.
 */
import { App } from "cdktf";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSecureDefaults, RULES, type TerraformJson } from "../../lib/constructs/secure-defaults";
import { BrokerStack } from "../../stacks/broker-stack";
import { examplePolicyText, synthEnvironment, type Resources } from "./helpers";

const prod = synthEnvironment("prod");
const pr = synthEnvironment("pr-7");
// The example policy with revocation on: the stack that has the shared store (Azure Managed Redis).
const revocationOn = (m: string) => `\nrevocation:\n  adminRoles: [admin]\n${m}`;
const withStore = synthEnvironment("prod", {
  policyText: examplePolicyText().replace(/\nenvironments:|$/, revocationOn),
});
const ctx = (s: typeof prod) => ({ stage: s.compiled.config.environment.stage, infra: s.compiled.infra });

/** A deep copy of the stack's JSON with `mutate` applied to the first resource of `type`. */
function violate(s: typeof prod, type: string, mutate: (r: Record<string, any>) => void): TerraformJson {
  const copy = JSON.parse(JSON.stringify(s.json)) as { resource: Resources };
  const first = Object.values(copy.resource[type])[0];
  mutate(first);
  return copy;
}

const fixtures: [string, string, (r: Record<string, any>) => void, typeof prod?][] = [
  ["TB-KV-001", "azurerm_key_vault", (r) => (r.rbac_authorization_enabled = false)],
  ["TB-KV-002", "azurerm_key_vault", (r) => (r.purge_protection_enabled = false)],
  ["TB-KV-003", "azurerm_key_vault", (r) => (r.soft_delete_retention_days = 3)],
  [
    "TB-KV-004",
    "azurerm_function_app_flex_consumption",
    // Under a name that does not look secret (so TB-APP-001 stays quiet): the key itself, not a reference.
    (r) => (r.app_settings.STORAGE_CONN = "${azurerm_storage_account.storage_account_1.primary_connection_string}"),
  ],
  [
    "TB-APP-001",
    "azurerm_function_app_flex_consumption",
    (r) => (r.app_settings.COSMOS_KEY = "c2VjcmV0LWtleS1saXRlcmFs"),
  ],
  ["TB-APP-002", "azurerm_function_app_flex_consumption", (r) => (r.https_only = false)],
  ["TB-APP-003", "azurerm_function_app_flex_consumption", (r) => (r.site_config.minimum_tls_version = "1.0")],
  [
    "TB-APP-004",
    "azurerm_function_app_flex_consumption",
    (r) => (r.auth_settings_v2.unauthenticated_action = "AllowAnonymous"),
  ],
  [
    "TB-APP-005",
    "azurerm_function_app_flex_consumption",
    (r) => (r.storage_authentication_type = "StorageAccountConnectionString"),
  ],
  ["TB-ST-001", "azurerm_storage_account", (r) => (r.allow_nested_items_to_be_public = true)],
  ["TB-ST-002", "azurerm_storage_account", (r) => (r.min_tls_version = "TLS1_0")],
  ["TB-ST-003", "azurerm_storage_account", (r) => (r.shared_access_key_enabled = true)],
  ["TB-COSMOS-001", "azurerm_cosmosdb_account", (r) => (r.local_authentication_disabled = true)],
  ["TB-COSMOS-002", "azurerm_cosmosdb_account", (r) => (r.minimal_tls_version = "Tls")],
  [
    "TB-COSMOS-003",
    "azurerm_cosmosdb_sql_role_definition",
    (r) =>
      r.permissions[0].data_actions.push("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/replace"),
  ],
  [
    "TB-COSMOS-004",
    "azurerm_cosmosdb_sql_role_assignment",
    (r) => (
      (r.scope = "${azurerm_cosmosdb_account.x.id}/dbs/docs/colls/fluidDocuments"),
      (r.role_definition_id =
        "${azurerm_cosmosdb_account.x.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002")
    ),
  ],
  ["TB-AFD-001", "azurerm_cdn_frontdoor_firewall_policy", (r) => (r.mode = "Detection")],
  [
    "TB-AFD-002",
    "azurerm_cdn_frontdoor_route",
    (r) => ((r.patterns_to_match = ["/tenants/*"]), (r.cache.query_string_caching_behavior = "IgnoreQueryString")),
  ],
  ["TB-AFD-003", "azurerm_cdn_frontdoor_route", (r) => (r.supported_protocols = ["Http", "Https"])],
  ["TB-AFD-004", "azurerm_cdn_frontdoor_firewall_policy", (r) => r.custom_rule.pop()],
  ["TB-AI-001", "azurerm_application_insights", (r) => (r.local_authentication_disabled = false)],
  ["TB-IAM-001", "azurerm_role_assignment", (r) => (r.role_definition_name = "Owner")],
  [
    "TB-CORS-001",
    "azurerm_function_app_flex_consumption",
    (r) => (r.site_config.cors.allowed_origins = ["https://docs.contoso.com", "*"]),
  ],
  ["TB-CORS-001", "azurerm_cosmosdb_account", (r) => (r.cors_rule.allowed_origins = ["*"])],
  [
    "TB-CORS-002",
    "azurerm_function_app_flex_consumption",
    (r) => ((r.site_config.cors.allowed_origins = ["*"]), (r.site_config.cors.support_credentials = true)),
    pr,
  ],
  [
    "TB-CORS-003",
    "azurerm_storage_account",
    (r) => (r.blob_properties.cors_rule[0].allowed_origins = ["http://docs.contoso.com"]),
  ],
  ["TB-CORS-003", "azurerm_cosmosdb_account", (r) => (r.cors_rule.allowed_origins = ["http://docs.contoso.com"])],
  ["TB-TAG-001", "azurerm_storage_account", (r) => delete r.tags.owner],
  ["TB-TAG-001", "azurerm_resource_group", (r) => delete r.tags["expires-on"], pr],
  [
    "TB-REDIS-001",
    "azurerm_managed_redis",
    (r) => (r.default_database.access_keys_authentication_enabled = true),
    withStore,
  ],
  ["TB-REDIS-002", "azurerm_managed_redis", (r) => (r.public_network_access = "Enabled"), withStore],
  ["TB-REDIS-003", "azurerm_managed_redis", (r) => (r.default_database.client_protocol = "Plaintext"), withStore],
  ["TB-REDIS-004", "azurerm_managed_redis", (r) => (r.default_database.eviction_policy = "AllKeysLRU"), withStore],
];

describe("secure-default rules", () => {
  it("has at least 15 rules, each with a fixture here", () => {
    expect(RULES.length).toBeGreaterThanOrEqual(15);
    expect(new Set(fixtures.map(([id]) => id))).toEqual(new Set(RULES.map((r) => r.id)));
  });

  it.each(["dev", "prod", "pr-7"])("the %s stack passes every rule", (env) => {
    const s = env === "prod" ? prod : env === "pr-7" ? pr : synthEnvironment(env);
    expect(checkSecureDefaults(s.json, ctx(s))).toEqual([]);
  });

  it.each(fixtures.map(([id, type, mutate, on]) => [id, type, mutate, on ?? prod] as const))(
    "%s fails on a violating %s",
    (id, type, mutate, s) => {
      const violations = checkSecureDefaults(violate(s, type, mutate), ctx(s));
      expect(violations).toEqual([
        { rule: id, resource: expect.stringMatching(new RegExp(`^${type}\\.`)), message: expect.any(String) },
      ]);
    },
  );

  it("TB-KV-004 also refuses a Key Vault secret whose value is a resource's key (what the stacks did before rotation)", () => {
    const copy = JSON.parse(JSON.stringify(prod.json)) as { resource: Resources };
    const cosmos = Object.keys(copy.resource.azurerm_cosmosdb_account)[0];
    const vault = Object.keys(copy.resource.azurerm_key_vault)[0];
    copy.resource.azurerm_key_vault_secret = {
      cosmos_key: {
        name: "cosmos-account-key",
        key_vault_id: `\${azurerm_key_vault.${vault}.id}`,
        value: `\${azurerm_cosmosdb_account.${cosmos}.primary_key}`,
      },
    };
    expect(checkSecureDefaults(copy, ctx(prod))).toEqual([
      { rule: "TB-KV-004", resource: "azurerm_key_vault_secret.cosmos_key", message: expect.any(String) },
    ]);
    // The stacks themselves write no secret at all now.
    expect(prod.json.resource.azurerm_key_vault_secret).toBeUndefined();
  });

  it("purge protection may be off in an ephemeral environment", () => {
    expect(
      checkSecureDefaults(
        violate(pr, "azurerm_key_vault", (r) => (r.purge_protection_enabled = false)),
        ctx(pr),
      ),
    ).toEqual([]);
  });
});

describe("synth enforces the rules", () => {
  it("fails synth with the rule and resource named, when an escape hatch breaks a default", () => {
    expect(() =>
      synthEnvironment("dev", {
        build: (stack) => stack.platform.storage.account.addOverride("allow_nested_items_to_be_public", true),
      }),
    ).toThrow(
      "TB-ST-001 azurerm_storage_account.platform_storage_account_19068438: allow_nested_items_to_be_public must be false",
    );
  });

  it("fails app.synth() (what `cdktf synth` runs), not only Testing.synth", () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "tb-synth-")) });
    const stack = new BrokerStack(app, "broker-dev", { infra: prod.compiled.infra });
    stack.platform.keyVault.vault.addOverride("rbac_authorization_enabled", false);
    expect(() => app.synth()).toThrow(
      /TB-KV-001 azurerm_key_vault\.platform_key-vault_\w+: rbac_authorization_enabled must be true/,
    );
  });

  it("accepts a documented suppression, and refuses one without a reason", () => {
    const address = "azurerm_storage_account.platform_storage_account_19068438";
    expect(() =>
      synthEnvironment("dev", {
        build: (stack) => {
          stack.platform.storage.account.addOverride("shared_access_key_enabled", true);
          stack.suppress(
            "TB-ST-003",
            address,
            "the local SAS signer needs the account key until issue 3 ships user delegation",
          );
        },
      }),
    ).not.toThrow();
    expect(() =>
      synthEnvironment("dev", { build: (stack) => stack.suppress("TB-ST-003", address, "because") }),
    ).toThrow(/needs a reason/);
  });
});
