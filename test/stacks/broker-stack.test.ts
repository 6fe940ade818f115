/** Synthesized stacks for the example policy: secure defaults, and everything the policy decides. */
import { all, examplePolicyText, only, synthEnvironment } from "./helpers";

describe("each construct's secure defaults (prod)", () => {
  const { json } = synthEnvironment("prod");
  const r = json.resource;

  it("Key Vault: RBAC mode, purge protection, 90-day soft delete; no live key from Terraform, the broker reads the rotated ones", () => {
    expect(only(r, "azurerm_key_vault")).toMatchObject({
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      sku_name: "standard",
    });
    const roles = all(r, "azurerm_role_assignment").map((a) => a.role_definition_name);
    // Officer: the deploying identity, which also runs `token-broker keys rotate`; User: the broker, which reads.
    expect(roles).toEqual(expect.arrayContaining(["Key Vault Secrets Officer", "Key Vault Secrets User"]));
    // azurerm 4.55 key_vault_secret reads `value` back from the vault (key_vault_secret_resource.go:393 at v4.55.0):
    // a secret Terraform managed would show a diff after every rotation. So Terraform manages none.
    expect(all(r, "azurerm_key_vault_secret")).toEqual([]);
    const settings = only(r, "azurerm_function_app_flex_consumption").app_settings;
    expect(settings.KEY_VAULT_URL).toMatch(/^\$\{azurerm_key_vault\.[^.]+\.vault_uri\}$/);
    expect(settings.ROTATED_KEYS).toBe("fluid,cosmos");
    for (const name of ["COSMOS_KEY", "FLUID_KEY1", "FLUID_KEY2", "FLUID_ACTIVE_KEY"])
      expect(settings[name]).toBeUndefined();
    // No attribute that holds a key (cosmos primary_key, fluid primary_key, storage primary_access_key, ...) is
    // referenced anywhere in the stack.
    expect(JSON.stringify(json)).not.toMatch(/\.(primary|secondary)_[a-z_]*(key|connection_string)\}/);
  });

  it("Storage: no public access, TLS 1.2, HTTPS, no shared key; private containers", () => {
    expect(only(r, "azurerm_storage_account")).toMatchObject({
      allow_nested_items_to_be_public: false,
      min_tls_version: "TLS1_2",
      https_traffic_only_enabled: true,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      account_replication_type: "ZRS",
    });
    expect(all(r, "azurerm_storage_container").map((c) => [c.name, c.container_access_type])).toEqual([
      ["function-releases", "private"],
      ["cdn-origin", "private"],
    ]);
    expect(json.provider).toMatchObject({ azurerm: [expect.objectContaining({ storage_use_azuread: true })] });
  });

  it("Function App: Flex Consumption, Node 22, system identity, HTTPS only, TLS 1.2, Easy Auth returning 401", () => {
    expect(only(r, "azurerm_service_plan")).toMatchObject({ sku_name: "FC1", os_type: "Linux" });
    const app = only(r, "azurerm_function_app_flex_consumption");
    expect(app).toMatchObject({
      runtime_name: "node",
      runtime_version: "22",
      https_only: true,
      identity: { type: "SystemAssigned" },
      storage_authentication_type: "SystemAssignedIdentity",
      webdeploy_publish_basic_authentication_enabled: false,
      site_config: { minimum_tls_version: "1.2", scm_minimum_tls_version: "1.2" },
    });
    expect(app.auth_settings_v2).toEqual({
      auth_enabled: true,
      require_authentication: true,
      unauthenticated_action: "Return401",
      require_https: true,
      excluded_paths: ["/api/health"],
      default_provider: "azureactivedirectory",
      login: { token_store_enabled: false },
      active_directory_v2: {
        client_id: "6a1b2c3d-0000-4000-8000-00000000f0c1",
        tenant_auth_endpoint: "https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000f001/v2.0",
        allowed_audiences: ["6a1b2c3d-0000-4000-8000-00000000f0c1"],
      },
    });
    for (const [k, v] of Object.entries(app.app_settings as Record<string, string>)) {
      if (/KEY[0-9]*$/.test(k))
        expect(v).toMatch(
          /^@Microsoft\.KeyVault\(SecretUri=\$\{azurerm_key_vault_secret\.[^}]+\.versionless_id\}\/\)$/,
        );
    }
  });

  it("gives the broker's identity only the roles it needs", () => {
    const broker = "${azurerm_function_app_flex_consumption.platform_broker_app_29390222.identity[0].principal_id}";
    const roles = all(r, "azurerm_role_assignment")
      .filter((a) => a.principal_id === broker)
      .map((a) => `${a.role_definition_name} @ ${containerRefs(String(a.scope)).replace(/\$\{[^}]+\}/g, "<id>")}`)
      .sort();
    expect(roles).toEqual([
      "Key Vault Secrets User @ <id>",
      "Monitoring Metrics Publisher @ <id>",
      "Storage Blob Data Owner @ <id>",
      "Storage Blob Data Reader @ <id>/blobServices/default/containers/<container origin>",
      "Storage Blob Delegator @ <id>",
    ]);
  });

  it("Observability: workspace-based Application Insights with local auth disabled", () => {
    expect(only(r, "azurerm_application_insights")).toMatchObject({
      application_type: "web",
      local_authentication_disabled: true,
      workspace_id: expect.stringContaining("azurerm_log_analytics_workspace"),
    });
  });

  it("state: azurerm backend with Entra auth for prod", () => {
    expect(json.terraform.backend).toEqual({
      azurerm: {
        resource_group_name: "rg-tfstate",
        storage_account_name: "sttfstatedocs",
        container_name: "tfstate-prod",
        key: "broker-prod.tfstate",
        use_azuread_auth: true,
      },
    });
  });

  it("outputs what a client needs", () => {
    expect(Object.keys(json.output).sort()).toEqual([
      "broker_url",
      "cdn_endpoint",
      "cosmos_endpoint",
      "fluid_endpoint",
      "fluid_tenant_id",
      "function_app_name",
      "policy_hash",
      "resource_group_name",
      "subscription_id",
    ]);
  });
});

/** The one resource of a type that is not the Fluid owner registry's (fluid-owner-registry.test.ts covers those). */
function onlyOutsideRegistry(r: Parameters<typeof all>[0], type: string) {
  const outside = all(r, type).filter(
    (x) =>
      !String(x.scope).endsWith("/colls/fluidDocuments") &&
      !((x.assignable_scopes as string[] | undefined) ?? []).some((s) => s.endsWith("/colls/fluidDocuments")),
  );
  expect(outside).toHaveLength(1);
  return outside[0];
}

describe("what the policy decides", () => {
  it("keeps Cosmos local auth on only because the policy mints resource tokens", () => {
    const minted = synthEnvironment("dev").json.resource;
    expect(only(minted, "azurerm_cosmosdb_account").local_authentication_disabled).toBe(false);
    const noCosmosGrants = examplePolicyText().replace(/ {6}- cosmos: .*\n/g, "");
    const rbacOnly = synthEnvironment("dev", { policyText: noCosmosGrants }).json.resource;
    expect(only(rbacOnly, "azurerm_cosmosdb_account").local_authentication_disabled).toBe(true);
    // Fluid still mints, so the broker still reads keys, but no Cosmos key: RBAC alone needs none.
    const settings = only(rbacOnly, "azurerm_function_app_flex_consumption").app_settings;
    expect(settings.COSMOS_KEY).toBeUndefined();
    expect(settings.ROTATED_KEYS).toBe("fluid");
  });

  it("creates the SQL role assignments of cosmosRbac, per environment", () => {
    const a = onlyOutsideRegistry(synthEnvironment("prod").json.resource, "azurerm_cosmosdb_sql_role_assignment");
    expect(a).toMatchObject({
      principal_id: "6a1b2c3d-0000-4000-8000-00000000f0b1",
      role_definition_id:
        "${azurerm_cosmosdb_account.platform_cosmos_account_BDF90DE5.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001",
      scope: "${azurerm_cosmosdb_account.platform_cosmos_account_BDF90DE5.id}/dbs/docs",
    });
  });

  it("creates a custom SQL role for dataActions scoped to a container", () => {
    const text = examplePolicyText().replace(
      "    role: reader\n    scope: database",
      "    dataActions: [Microsoft.DocumentDB/databaseAccounts/readMetadata]\n    scope: container\n    container: profiles",
    );
    const r = synthEnvironment("dev", { policyText: text }).json.resource;
    const def = onlyOutsideRegistry(r, "azurerm_cosmosdb_sql_role_definition");
    expect(def).toMatchObject({
      type: "CustomRole",
      permissions: [{ data_actions: ["Microsoft.DocumentDB/databaseAccounts/readMetadata"] }],
      assignable_scopes: [expect.stringMatching(/\/dbs\/docs\/colls\/profiles$/)],
    });
    expect(onlyOutsideRegistry(r, "azurerm_cosmosdb_sql_role_assignment").role_definition_id).toContain(
      "azurerm_cosmosdb_sql_role_definition",
    );
  });

  it("creates the containers with their partition keys", () => {
    const containers = all(synthEnvironment("prod").json.resource, "azurerm_cosmosdb_sql_container").map((c) => [
      c.name,
      c.partition_key_paths,
      c.autoscale_settings,
    ]);
    expect(containers).toEqual([
      ["documents", ["/tenantId"], { max_throughput: 4000 }],
      ["fluidDocuments", ["/tenant"], { max_throughput: 4000 }], // the Fluid owner registry (fluid-owner-registry.test.ts)
      ["profiles", ["/userId"], { max_throughput: 4000 }],
    ]);
  });

  it("routes: private prefixes cache with UseQueryString, shared ones ignore the query; HTTPS only", () => {
    const routes = all(synthEnvironment("prod").json.resource, "azurerm_cdn_frontdoor_route").map((r) => ({
      name: r.name,
      patterns: r.patterns_to_match,
      caching: r.cache.query_string_caching_behavior,
      protocols: r.supported_protocols,
      origin: containerRefs(r.cdn_frontdoor_origin_path),
      forwarding: r.forwarding_protocol,
    }));
    expect(routes).toEqual([
      {
        name: "route-public",
        patterns: ["/public/*"],
        caching: "IgnoreQueryString",
        protocols: ["Https"],
        origin: "/<container origin>",
        forwarding: "HttpsOnly",
      },
      {
        name: "route-tenants",
        patterns: ["/tenants/*"],
        caching: "UseQueryString",
        protocols: ["Https"],
        origin: "/<container origin>",
        forwarding: "HttpsOnly",
      },
    ]);
  });

  it("compiles the edge rules into WAF custom rules in prevention mode, with the policy's block status", () => {
    const waf = only(synthEnvironment("prod").json.resource, "azurerm_cdn_frontdoor_firewall_policy");
    expect(waf).toMatchObject({
      mode: "Prevention",
      enabled: true,
      custom_block_response_status_code: 403,
      sku_name: "Premium_AzureFrontDoor",
    });
    expect(waf.managed_rule).toEqual([{ type: "Microsoft_DefaultRuleSet", version: "2.1", action: "Block" }]);
    const onTenants = {
      match_variable: "RequestUri",
      operator: "RegEx",
      match_values: ["^(https?://[^/]+)?/tenants/"],
    };
    expect(waf.custom_rule).toEqual([
      {
        name: "GeoDeny1",
        type: "MatchRule",
        action: "Block",
        enabled: true,
        priority: 10,
        match_condition: [
          onTenants,
          { match_variable: "SocketAddr", operator: "GeoMatch", match_values: ["KP", "IR", "ZZ"] },
        ],
      },
      {
        name: "RefAllow2",
        type: "MatchRule",
        action: "Block",
        enabled: true,
        priority: 20,
        match_condition: [
          onTenants,
          {
            match_variable: "RequestHeader",
            selector: "Referer",
            operator: "BeginsWith",
            negation_condition: true,
            match_values: ["https://docs.contoso.com/"], // prod's allowedOrigins (`allow: origins`)
            transforms: ["Lowercase"],
          },
        ],
      },
    ]);
    const policy = only(synthEnvironment("prod").json.resource, "azurerm_cdn_frontdoor_security_policy");
    expect(policy.security_policies.firewall.association.patterns_to_match).toEqual(["/*"]);
  });
});

describe("ephemeral and production environments differ where they should", () => {
  const pr = synthEnvironment("pr-42");
  const prod = synthEnvironment("prod");

  it("pr-<n>: serverless Cosmos, no purge protection, LRS, local state, expires-on tag", () => {
    const r = pr.json.resource;
    expect(only(r, "azurerm_cosmosdb_account").capabilities).toEqual([{ name: "EnableServerless" }]);
    expect(all(r, "azurerm_cosmosdb_sql_container").every((c) => c.autoscale_settings === undefined)).toBe(true);
    expect(only(r, "azurerm_key_vault")).toMatchObject({
      purge_protection_enabled: false,
      soft_delete_retention_days: 7,
    });
    expect(only(r, "azurerm_storage_account").account_replication_type).toBe("LRS");
    expect(pr.json.terraform.backend).toEqual({ local: { path: "terraform.broker-pr-42.tfstate" } });
    expect(only(r, "azurerm_resource_group").tags).toEqual({
      env: "pr-42",
      owner: "platform-team",
      "policy-hash": pr.compiled.config.policyHash,
      "managed-by": "cdktf",
      "expires-on": "2026-11-25",
    });
    expect(json(pr)).toContain('"purge_soft_delete_on_destroy": true');
  });

  it("prod: autoscale, purge protection, Premium Front Door; no expires-on", () => {
    const r = prod.json.resource;
    expect(only(r, "azurerm_cosmosdb_account").capabilities).toEqual([]);
    expect(only(r, "azurerm_key_vault").purge_protection_enabled).toBe(true);
    expect(only(r, "azurerm_cdn_frontdoor_profile").sku_name).toBe("Premium_AzureFrontDoor");
    expect(only(r, "azurerm_resource_group").tags["expires-on"]).toBeUndefined();
  });

  it("the prod-only support grant is absent from ephemeral environments, down to the deployed policy hash", () => {
    expect(pr.compiled.config.roles.map((r) => r.name)).toEqual(["reader", "editor", "admin"]);
    expect(prod.compiled.config.roles.map((r) => r.name)).toContain("support");
    const setting = only(pr.json.resource, "azurerm_function_app_flex_consumption").app_settings
      .TOKEN_BROKER_POLICY_HASH;
    expect(setting).toBe(pr.compiled.config.policyHash);
    expect(JSON.stringify(pr.compiled.config)).not.toContain("support");
  });
});

/** `${azurerm_storage_container.platform_storage_origin_7D1E2B7F.name}` -> `<container origin>` */
function containerRefs(text: string): string {
  return text.replace(/\$\{azurerm_storage_container\.platform_storage_(\w+?)_[0-9A-F]{8}\.name\}/g, "<container $1>");
}

function json(s: { json: unknown }): string {
  return JSON.stringify(s.json, null, 1);
}
