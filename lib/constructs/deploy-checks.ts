/**
 * What can be known offline about whether a synthesized stack deploys and runs (`token-broker deploy-check`): every
 * Key Vault reference names a secret of the stack, every setting the broker reads (functions-src/settings.ts,
 * functions-src/index.ts) is set, the broker's identity holds each role it needs at the right scope, and the azurerm
 * 4.55 validations and Azure rules that synthesis does not run (cited per check). The secure-default rules run too.
 * What only Azure can confirm is listed in ONLY_AZURE_CAN_CONFIRM, never pretended.
 */
import type { InfraNeeds } from "../policy/authoring/infra-needs";
import { APP_SETTING } from "../policy/runtime/app-settings";
import { HOST_STORAGE_SETTING } from "./host-storage";
import { BUILT_IN_ROLE } from "./role-assignments";
import { checkSecureDefaults, type TerraformJson } from "./secure-defaults";

type Json = Record<string, unknown>;
export type SynthesizedStack = TerraformJson & { provider?: Record<string, Json[]> };

export interface DeployFinding {
  check: string;
  /** Terraform address, or `stack`. */
  resource: string;
  message: string;
}

export const DEPLOY_CHECKS: Record<string, string> = {
  "DC-KV-REF": "every Key Vault reference in app settings names a secret of this stack, in a vault of this stack",
  "DC-SETTINGS": "every app setting the broker and the Functions host read is set, secrets as Key Vault references",
  "DC-ROLES": "the broker's identity (and the deployer) hold each role they need, at the right scope",
  "DC-AZURERM": "azurerm 4.55 validations and Azure limits that `cdktf synth` does not run",
  "DC-SECURE": "the secure-default rules (lib/constructs/secure-defaults.ts)",
};

export const ONLY_AZURE_CAN_CONFIRM = [
  "globally unique names are free (storage, Key Vault, Cosmos DB, Function App, Front Door endpoint)",
  "Flex Consumption, Fluid Relay and Front Door Premium are offered in the location, with quota left",
  "the deploying identity may create role assignments (Owner or User Access Administrator on the resource group)",
  "RBAC propagation finishes within the time_sleep before the Key Vault secrets are written",
  "Easy Auth on Flex Consumption accepts the policy issuers' tokens (the broker verifies every token itself either way)",
  'with network "private": the Front Door Private Link connection is approved on the storage account, and the deploy runs inside the network',
  "Key Vault references resolve after the restart (`token-broker deploy publish` waits for health ok, `smoke --require` proves it)",
];

const KV_REFERENCE = /^@Microsoft\.KeyVault\((.*)\)$/;
const KV_SECRET_TOKEN = /^SecretUri=\$\{azurerm_key_vault_secret\.([^.}]+)\.versionless_id\}\/$/;
const ref = (type: string, name: string, attr: string) => `\${${type}.${name}.${attr}}`;
const first = (v: unknown): Json => ((Array.isArray(v) ? v[0] : v) as Json) ?? {};
const literal = (v: unknown): v is string => typeof v === "string" && !v.includes("${");

export function checkDeployability(json: SynthesizedStack, infra: InfraNeeds): DeployFinding[] {
  const out: DeployFinding[] = [];
  const res = json.resource ?? {};
  const of = (type: string) => Object.entries(res[type] ?? {});
  const add = (check: string, resource: string, message: string) => out.push({ check, resource, message });

  const apps = of("azurerm_function_app_flex_consumption");
  if (apps.length !== 1) {
    add("DC-SETTINGS", "stack", `expected one Flex Consumption app, found ${apps.length}`);
    return out;
  }
  const [appName, app] = apps[0];
  const appAddress = `azurerm_function_app_flex_consumption.${appName}`;
  const settings = (app.app_settings as Record<string, string>) ?? {};
  const broker = ref("azurerm_function_app_flex_consumption", appName, "identity[0].principal_id");

  // DC-KV-REF: references name secrets of this stack, in vaults of this stack.
  const vaultsReferenced = new Set<string>();
  for (const [key, value] of Object.entries(settings)) {
    const reference = KV_REFERENCE.exec(value)?.[1];
    if (reference === undefined) continue;
    const secretName = KV_SECRET_TOKEN.exec(reference)?.[1];
    const secret = secretName ? res.azurerm_key_vault_secret?.[secretName] : undefined;
    if (!secret) {
      add("DC-KV-REF", appAddress, `${key} refers to ${reference}, which is no azurerm_key_vault_secret of this stack`);
      continue;
    }
    const vault = /^\$\{azurerm_key_vault\.([^.}]+)\.id\}$/.exec(String(secret.key_vault_id))?.[1];
    if (!vault || !res.azurerm_key_vault?.[vault])
      add("DC-KV-REF", `azurerm_key_vault_secret.${secretName}`, `${key}'s secret is in no Key Vault of this stack`);
    else vaultsReferenced.add(vault);
  }
  // The rotated keys: the broker reads them from the vault KEY_VAULT_URL names, with the same role.
  const keysVaultUrl = settings[APP_SETTING.keyVaultUrl];
  if (keysVaultUrl) {
    const keysVault = /^\$\{azurerm_key_vault\.([^.}]+)\.vault_uri\}$/.exec(keysVaultUrl)?.[1];
    if (!keysVault || !res.azurerm_key_vault?.[keysVault])
      add("DC-KV-REF", appAddress, `${APP_SETTING.keyVaultUrl} names no Key Vault of this stack`);
    else vaultsReferenced.add(keysVault);
  }

  // DC-SETTINGS: what the broker reads for each backend the policy uses (functions-src/settings.ts).
  const expect = (name: string, wanted: "set" | "kv-ref" | { equals: string }) => {
    const v = settings[name];
    if (v === undefined || v === null || v === "") add("DC-SETTINGS", appAddress, `app setting ${name} is not set`);
    else if (wanted === "kv-ref" && !KV_REFERENCE.test(v))
      add("DC-SETTINGS", appAddress, `app setting ${name} must be a Key Vault reference`);
    else if (typeof wanted === "object" && v !== wanted.equals)
      add("DC-SETTINGS", appAddress, `app setting ${name} is '${v}', expected '${wanted.equals}'`);
  };
  expect(APP_SETTING.policyHash, { equals: infra.policyHash });
  if (infra.cosmos) {
    expect(APP_SETTING.cosmosEndpoint, "set");
    expect(APP_SETTING.cosmosDatabase, { equals: infra.cosmos.database });
  }
  if (infra.fluid) {
    expect(APP_SETTING.fluidTenantId, "set");
    expect(APP_SETTING.fluidEndpoint, "set");
  }
  if (infra.cdn) {
    expect(APP_SETTING.cdnOriginContainerUrl, "set");
    expect(APP_SETTING.cdnEndpoint, "set");
    expect(APP_SETTING.cdnSigning, { equals: "user-delegation" });
  }
  const rotated = [
    ...(infra.fluid?.mintsTokens ? ["fluid"] : []),
    ...(infra.cosmos?.mintsResourceTokens ? ["cosmos"] : []),
  ].join(",");
  if (rotated) {
    expect(APP_SETTING.keyVaultUrl, "set");
    expect(APP_SETTING.rotatedKeys, { equals: rotated });
  }
  if (infra.sharedStore && infra.environment.stage !== "ephemeral") {
    expect(APP_SETTING.sharedStoreUrl, "set");
    expect(APP_SETTING.sharedStoreEntra, { equals: "true" });
  }
  // The Functions host: identity-based AzureWebJobsStorage on the account that holds the deployment container.
  const hostAccount = /^\$\{azurerm_storage_account\.([^.}]+)\.primary_blob_endpoint\}/.exec(
    String(app.storage_container_endpoint),
  )?.[1];
  if (!hostAccount) add("DC-SETTINGS", appAddress, "storage_container_endpoint is not a storage account of this stack");
  else expect(HOST_STORAGE_SETTING.accountName, { equals: ref("azurerm_storage_account", hostAccount, "name") });
  expect(HOST_STORAGE_SETTING.credential, { equals: "managedidentity" });
  if (Object.keys(settings).some((k) => k.toLowerCase() === HOST_STORAGE_SETTING.connectionString.toLowerCase()))
    add("DC-SETTINGS", appAddress, "AzureWebJobsStorage is set: a connection string wins over the identity settings");
  const insights = of("azurerm_application_insights").filter(([, a]) => a.local_authentication_disabled === true);
  if (insights.length > 0) expect("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", { equals: "Authorization=AAD" });

  // DC-ROLES: (principal, role, scope) triples the stack must contain.
  const assignments = of("azurerm_role_assignment").map(([, a]) => a);
  const holds = (principal: string, role: string, scopes: string[]) =>
    assignments.some(
      (a) => a.principal_id === principal && a.role_definition_name === role && scopes.includes(String(a.scope)),
    );
  const need = (who: string, principal: string, role: string, scopes: string[], why: string) => {
    if (!holds(principal, role, scopes)) add("DC-ROLES", appAddress, `${who} lacks ${role} on ${scopes[0]} (${why})`);
  };
  for (const vault of vaultsReferenced)
    need(
      "the broker",
      broker,
      BUILT_IN_ROLE.keyVaultSecretsUser,
      [ref("azurerm_key_vault", vault, "id")],
      "Key Vault references and rotated keys",
    );
  if (hostAccount)
    need(
      "the broker",
      broker,
      BUILT_IN_ROLE.storageBlobDataOwner,
      [ref("azurerm_storage_account", hostAccount, "id")],
      "host storage and the deployment package",
    );
  for (const [name] of insights)
    need(
      "the broker",
      broker,
      BUILT_IN_ROLE.monitoringMetricsPublisher,
      [ref("azurerm_application_insights", name, "id")],
      "telemetry with local auth off",
    );
  if (infra.cdn) {
    const origin = settings[APP_SETTING.cdnOriginContainerUrl] ?? "";
    const account = /^\$\{azurerm_storage_account\.([^.}]+)\.primary_blob_endpoint\}/.exec(origin)?.[1];
    if (!account)
      add("DC-ROLES", appAddress, `${APP_SETTING.cdnOriginContainerUrl} is not a storage account of this stack`);
    else {
      const accountId = ref("azurerm_storage_account", account, "id");
      need("the broker", broker, BUILT_IN_ROLE.storageBlobDelegator, [accountId], "user delegation keys");
      const containerScopes = of("azurerm_storage_container").map(
        ([c]) => `${accountId}/blobServices/default/containers/${ref("azurerm_storage_container", c, "name")}`,
      );
      const reads = [BUILT_IN_ROLE.storageBlobDataReader, BUILT_IN_ROLE.storageBlobDataOwner].some((role) =>
        holds(broker, role, [accountId, ...containerScopes]),
      );
      if (!reads)
        add(
          "DC-ROLES",
          appAddress,
          "the broker cannot read the CDN origin (a user delegation SAS grants only what its signer may do)",
        );
    }
  }
  const secrets = of("azurerm_key_vault_secret");
  for (const [vault] of of("azurerm_key_vault")) {
    if (!secrets.some(([, s]) => s.key_vault_id === ref("azurerm_key_vault", vault, "id"))) continue;
    const officer = assignments.find(
      (a) =>
        a.role_definition_name === BUILT_IN_ROLE.keyVaultSecretsOfficer &&
        a.scope === ref("azurerm_key_vault", vault, "id"),
    );
    if (!officer)
      add("DC-ROLES", `azurerm_key_vault.${vault}`, "the deployer holds no Key Vault Secrets Officer to write secrets");
  }

  // DC-AZURERM: provider validations and service limits, cited at their source.
  azurermChecks(json, add);
  for (const v of checkSecureDefaults(json, { stage: infra.environment.stage, infra }))
    add("DC-SECURE", v.resource, `${v.rule}: ${v.message}`);
  return out;
}

type Add = (check: string, resource: string, message: string) => void;

/** Name rules of internal/services/cdn/validate/front_door_*_name.go at v4.55.0. */
const FRONT_DOOR_NAMES: Record<string, RegExp> = {
  azurerm_cdn_frontdoor_endpoint: /^[\da-zA-Z][-\da-zA-Z]{0,44}[\da-zA-Z]$/,
  azurerm_cdn_frontdoor_origin_group: /^[\da-zA-Z][-\da-zA-Z]{0,88}[\da-zA-Z]$/,
  azurerm_cdn_frontdoor_origin: /^[\da-zA-Z][-\da-zA-Z]{0,88}[\da-zA-Z]$/,
  azurerm_cdn_frontdoor_route: /^[\da-zA-Z][-\da-zA-Z]{0,88}[\da-zA-Z]$/,
  azurerm_cdn_frontdoor_rule: /^[a-zA-Z][\da-zA-Z]{0,259}$/,
  azurerm_cdn_frontdoor_rule_set: /^[a-zA-Z][\da-zA-Z]{0,59}$/,
  azurerm_cdn_frontdoor_firewall_policy: /^[a-zA-Z][\da-zA-Z]{0,127}$/,
  // internal/services/fluidrelay/validate/server_name.go; keyvault/validate/nested_item_name.go
  azurerm_fluid_relay_server: /^[-0-9a-zA-Z]{1,50}$/,
  azurerm_key_vault_secret: /^[0-9a-zA-Z-]+$/,
};

/**
 * App settings Flex Consumption refuses or ignores: runtime, version and deployment are app properties there
 * (learn.microsoft.com/azure/azure-functions/functions-app-settings, "Flex Consumption plan deprecations"; a subset).
 */
const FLEX_UNSUPPORTED_SETTINGS = [
  "FUNCTIONS_EXTENSION_VERSION",
  "FUNCTIONS_WORKER_RUNTIME",
  "WEBSITE_RUN_FROM_PACKAGE",
  "SCM_DO_BUILD_DURING_DEPLOYMENT",
  "ENABLE_ORYX_BUILD",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  "WEBSITE_CONTENTSHARE",
  "WEBSITE_NODE_DEFAULT_VERSION",
];

function azurermChecks(json: SynthesizedStack, add: Add): void {
  const res = json.resource ?? {};
  const of = (type: string) => Object.entries(res[type] ?? {}).map(([n, c]) => [`${type}.${n}`, c] as const);
  for (const [type, pattern] of Object.entries(FRONT_DOOR_NAMES))
    for (const [address, c] of of(type))
      if (literal(c.name) && !pattern.test(c.name))
        add("DC-AZURERM", address, `name '${c.name}' fails azurerm's ${pattern}`);

  for (const [address, app] of of("azurerm_function_app_flex_consumption")) {
    // The provider would zip-deploy through Kudu with basic auth (helpers/publish_app.go:116,130); Flex has no zip deploy.
    if (app.zip_deploy_file !== undefined)
      add(
        "DC-AZURERM",
        address,
        "zip_deploy_file fails on Flex Consumption; publish with `token-broker deploy publish`",
      );
    const max = app.maximum_instance_count;
    if (typeof max === "number" && (max < 40 || max > 1000))
      add(
        "DC-AZURERM",
        address,
        `maximum_instance_count ${max} is outside 40..1000 (function_app_flex_consumption_resource.go:187-192)`,
      );
    const memory = app.instance_memory_in_mb;
    if (memory !== undefined && ![512, 2048, 4096].includes(memory as number))
      add(
        "DC-AZURERM",
        address,
        `instance_memory_in_mb ${String(memory)} is not 512, 2048 or 4096 (Flex Consumption instance sizes)`,
      );
    if (app.storage_authentication_type === "StorageAccountConnectionString" && !app.storage_access_key)
      add(
        "DC-AZURERM",
        address,
        "StorageAccountConnectionString needs storage_access_key (function_app_flex_consumption_resource.go:456-459)",
      );
  }
  for (const [address, app] of of("azurerm_function_app_flex_consumption")) {
    const refused = Object.keys((app.app_settings as Record<string, string>) ?? {}).filter((k) =>
      FLEX_UNSUPPORTED_SETTINGS.includes(k.toUpperCase()),
    );
    if (refused.length > 0)
      add(
        "DC-AZURERM",
        address,
        `Flex Consumption does not take app settings ${refused.join(", ")} (runtime and deployment are properties of the app there)`,
      );
  }
  for (const [address, route] of of("azurerm_cdn_frontdoor_route")) {
    // https_redirect_enabled defaults to true and then needs Http too (cdn_frontdoor_route_resource.go:159-163, 237-243).
    const protocols = (route.supported_protocols as string[]) ?? [];
    if (route.https_redirect_enabled !== false && !(protocols.includes("Http") && protocols.includes("Https")))
      add("DC-AZURERM", address, "https_redirect_enabled (default true) requires supported_protocols Http and Https");
  }
  for (const [address, waf] of of("azurerm_cdn_frontdoor_firewall_policy")) {
    // cdn_frontdoor_firewall_policy_resource.go:119-129 and 137-139 at v4.55.0.
    const status = waf.custom_block_response_status_code;
    if (status !== undefined && ![200, 403, 405, 406, 429].includes(status as number))
      add(
        "DC-AZURERM",
        address,
        `custom_block_response_status_code ${String(status)} is not 200, 403, 405, 406 or 429`,
      );
    const rules = (waf.custom_rule as unknown[]) ?? [];
    if (rules.length > 100)
      add("DC-AZURERM", address, `${rules.length} custom rules; azurerm and Front Door take at most 100`);
    if (waf.managed_rule && waf.sku_name !== "Premium_AzureFrontDoor")
      add("DC-AZURERM", address, "managed rules need Premium_AzureFrontDoor");
  }
  for (const [address, vault] of of("azurerm_key_vault")) {
    const days = vault.soft_delete_retention_days;
    if (typeof days === "number" && (days < 7 || days > 90))
      add("DC-AZURERM", address, `soft_delete_retention_days ${days} is outside 7..90`);
  }
  const sleeps = new Set<string>(of("time_sleep").map(([a]) => a));
  for (const [address, secret] of of("azurerm_key_vault_secret")) {
    // The provider does not retry a 403 (key_vault_secret_resource.go:143-147): wait for RBAC first.
    const waits = ((secret.depends_on as string[]) ?? []).some((d) => sleeps.has(d));
    if (!waits)
      add("DC-AZURERM", address, "writes a secret without waiting for the deployer's role to propagate (time_sleep)");
  }
  const keyless = of("azurerm_storage_account").some(([, s]) => s.shared_access_key_enabled === false);
  const storageFeature = first(first(first(json.provider?.azurerm).features).storage);
  if (keyless && storageFeature.data_plane_available !== false)
    add(
      "DC-AZURERM",
      "provider.azurerm",
      "a storage account without shared keys needs features.storage.data_plane_available = false (storage_account_resource.go:1547-1559, 2327-2370)",
    );
}
