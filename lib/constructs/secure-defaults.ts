/**
 * Secure-default rules over a stack's synthesized Terraform JSON (in the spirit of cdk-nag / PSRule for Azure).
 * They read what will be deployed, not how the constructs were called, so a construct used with unsafe props or
 * an escape hatch is caught too. `SecureDefaults` registers them as the stack's construct validation: a violation
 * fails `app.synth()` (so `cdktf synth`/`deploy`) and `Testing.synth(stack, true)`; a suppression needs a reason.
 */
import type { TerraformStack } from "cdktf";
import type { InfraNeeds, Stage } from "../policy/authoring/infra-needs";
import { FLUID_OWNERS_CONTAINER } from "../policy/runtime/document-owner";

type Json = Record<string, unknown>;
export type TerraformJson = { resource?: Record<string, Record<string, Json>> };

export interface RuleContext {
  stage: Stage;
  infra: InfraNeeds;
}

export interface Violation {
  rule: string;
  /** Terraform address: azurerm_key_vault.platform_key-vault_vault_1A2B3C4D */
  resource: string;
  message: string;
}

export interface Suppression {
  rule: string;
  resource: string;
  reason: string;
}

interface Rule {
  id: string;
  description: string;
  /** Resource types it reads; `*` for all. */
  types: string[];
  check(config: Json, ctx: RuleContext, type: string): string | undefined;
}

/** A setting is secret by its last word: COSMOS_KEY, FLUID_KEY1, DB_PASSWORD (TOKEN_BROKER_ENVIRONMENT is not). */
const SECRET_NAME = /(^|_)(KEY[0-9]*|SECRET|PASSWORD|CONNECTION_?STRING|TOKEN|SAS)$/i;
const KEY_VAULT_REFERENCE =
  /^@Microsoft\.KeyVault\(SecretUri=https:\/\/[^)]+\)$|^@Microsoft\.KeyVault\(SecretUri=\$\{[^}]+\}\/\)$/;
/**
 * A Terraform reference to a resource's live key or a connection string built from one: azurerm 4.55's
 * `azurerm_cosmosdb_account` primary_key / secondary_key / *_readonly_key / *_connection_string,
 * `azurerm_fluid_relay_server` primary_key / secondary_key, `azurerm_storage_account` primary_access_key /
 * *_connection_string (attributes computed from listKeys in each resource's read).
 */
const LIVE_KEY_REFERENCE = /\$\{[^}]*\.(primary|secondary)_[a-z_]*(key|connection_string)\}/;
const TAGGABLE = new Set([
  "azurerm_resource_group",
  "azurerm_cosmosdb_account",
  "azurerm_key_vault",
  "azurerm_storage_account",
  "azurerm_service_plan",
  "azurerm_function_app_flex_consumption",
  "azurerm_fluid_relay_server",
  "azurerm_log_analytics_workspace",
  "azurerm_application_insights",
  "azurerm_cdn_frontdoor_profile",
  "azurerm_cdn_frontdoor_endpoint",
  "azurerm_cdn_frontdoor_firewall_policy",
  "azurerm_managed_redis",
  "azurerm_virtual_network",
]);
const REGISTRY_SCOPE_SUFFIX = `/colls/${FLUID_OWNERS_CONTAINER}`;
const ITEMS = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items";
const REGISTRY_ACTIONS = new Set([
  "Microsoft.DocumentDB/databaseAccounts/readMetadata",
  `${ITEMS}/read`,
  `${ITEMS}/create`,
  `${ITEMS}/delete`,
]);
const first = (v: unknown): Json => (Array.isArray(v) ? (v[0] as Json) : (v as Json)) ?? {};
const CORS_TYPES = ["azurerm_function_app_flex_consumption", "azurerm_cosmosdb_account", "azurerm_storage_account"];

/** Allowed CORS origins as synthesized, wherever the resource type keeps them. */
function corsOrigins(c: Json, type: string): string[] {
  const list = (rules: unknown) =>
    (Array.isArray(rules) ? rules : rules ? [rules] : []).flatMap(
      (r) => ((r as Json).allowed_origins as string[]) ?? [],
    );
  if (type === "azurerm_function_app_flex_consumption")
    return (first(first(c.site_config).cors).allowed_origins as string[]) ?? [];
  if (type === "azurerm_cosmosdb_account") return list(c.cors_rule);
  return list(first(c.blob_properties).cors_rule);
}

export const RULES: Rule[] = [
  {
    id: "TB-KV-001",
    description: "Key Vault uses Azure RBAC, not access policies",
    types: ["azurerm_key_vault"],
    check: (c) => (c.rbac_authorization_enabled === true ? undefined : "rbac_authorization_enabled must be true"),
  },
  {
    id: "TB-KV-002",
    description: "Key Vault has purge protection outside ephemeral environments",
    types: ["azurerm_key_vault"],
    check: (c, ctx) =>
      ctx.stage === "ephemeral" || c.purge_protection_enabled === true
        ? undefined
        : "purge_protection_enabled must be true outside ephemeral environments",
  },
  {
    id: "TB-KV-003",
    description: "Key Vault keeps deleted secrets for at least 7 days",
    types: ["azurerm_key_vault"],
    check: (c) =>
      typeof c.soft_delete_retention_days === "number" && c.soft_delete_retention_days >= 7
        ? undefined
        : "soft_delete_retention_days must be 7 or more",
  },
  {
    id: "TB-KV-004",
    description:
      "Terraform writes no live key: no Key Vault secret or app setting takes a resource's key attribute " +
      "(keys are rotated by `token-broker keys rotate`, which Terraform would undo or show as a diff)",
    types: ["azurerm_key_vault_secret", "azurerm_function_app_flex_consumption"],
    check: (c, _ctx, type) => {
      const text =
        type === "azurerm_key_vault_secret"
          ? `${String(c.value ?? "")} ${String(c.value_wo ?? "")}`
          : JSON.stringify(c.app_settings ?? {});
      return LIVE_KEY_REFERENCE.test(text)
        ? "takes a resource's key from Terraform: let the key rotation write it to Key Vault instead"
        : undefined;
    },
  },
  {
    id: "TB-APP-001",
    description: "No secret literal in app settings: secrets are Key Vault references",
    types: ["azurerm_function_app_flex_consumption"],
    check: (c) => {
      const bad = Object.entries((c.app_settings as Record<string, string>) ?? {}).filter(
        ([k, v]) =>
          SECRET_NAME.test(k) &&
          k !== "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" &&
          !KEY_VAULT_REFERENCE.test(String(v)),
      );
      return bad.length
        ? `app settings ${bad.map(([k]) => k).join(", ")} look secret but are not Key Vault references`
        : undefined;
    },
  },
  {
    id: "TB-APP-002",
    description: "Function App is HTTPS only",
    types: ["azurerm_function_app_flex_consumption"],
    check: (c) => (c.https_only === true ? undefined : "https_only must be true"),
  },
  {
    id: "TB-APP-003",
    description: "Function App requires TLS 1.2 or later (site and SCM)",
    types: ["azurerm_function_app_flex_consumption"],
    check: (c) => {
      const site = first(c.site_config);
      const ok = (v: unknown) => v === "1.2" || v === "1.3";
      return ok(site.minimum_tls_version) && ok(site.scm_minimum_tls_version)
        ? undefined
        : "site_config minimum_tls_version and scm_minimum_tls_version must be 1.2 or 1.3";
    },
  },
  {
    id: "TB-APP-004",
    description: "Easy Auth is on, requires authentication and answers 401",
    types: ["azurerm_function_app_flex_consumption"],
    check: (c) => {
      const a = first(c.auth_settings_v2);
      if (a.auth_enabled !== true || a.require_authentication !== true)
        return "auth_settings_v2 must have auth_enabled and require_authentication";
      if (a.unauthenticated_action !== "Return401")
        return "auth_settings_v2.unauthenticated_action must be Return401 (an API has no login page)";
      const excluded = (a.excluded_paths as string[]) ?? [];
      const extra = excluded.filter((p) => p !== "/api/health");
      return extra.length
        ? `auth_settings_v2 excludes ${extra.join(", ")} from authentication; only /api/health may be`
        : undefined;
    },
  },
  {
    id: "TB-APP-005",
    description: "Function App uses its managed identity for storage, not a connection string or key",
    types: ["azurerm_function_app_flex_consumption"],
    check: (c) => {
      if (first(c.identity).type === undefined) return "identity must be set (SystemAssigned)";
      return c.storage_authentication_type === "StorageAccountConnectionString" || c.storage_access_key
        ? "storage must be reached with the managed identity, not a key"
        : undefined;
    },
  },
  {
    id: "TB-ST-001",
    description: "Storage allows no public blob access, and containers are private",
    types: ["azurerm_storage_account", "azurerm_storage_container"],
    check: (c, _ctx, type) =>
      type === "azurerm_storage_account"
        ? c.allow_nested_items_to_be_public === false
          ? undefined
          : "allow_nested_items_to_be_public must be false"
        : c.container_access_type === undefined || c.container_access_type === "private"
          ? undefined
          : "container_access_type must be private",
  },
  {
    id: "TB-ST-002",
    description: "Storage requires TLS 1.2 and HTTPS",
    types: ["azurerm_storage_account"],
    check: (c) =>
      c.min_tls_version === "TLS1_2" && c.https_traffic_only_enabled !== false
        ? undefined
        : "min_tls_version must be TLS1_2 and https_traffic_only_enabled true",
  },
  {
    id: "TB-ST-003",
    description: "Storage shared-key access is off: Entra and user delegation SAS only",
    types: ["azurerm_storage_account"],
    check: (c) => (c.shared_access_key_enabled === false ? undefined : "shared_access_key_enabled must be false"),
  },
  {
    id: "TB-COSMOS-001",
    description: "Cosmos DB local (key) auth is on only when the policy mints resource tokens",
    types: ["azurerm_cosmosdb_account"],
    check: (c, ctx) => {
      const needed = ctx.infra.cosmos?.mintsResourceTokens === true;
      if (needed && c.local_authentication_disabled === true)
        return "the policy mints resource tokens, which an account with local auth disabled rejects";
      if (!needed && c.local_authentication_disabled !== true)
        return "local_authentication_disabled must be true: no role mints resource tokens";
      return undefined;
    },
  },
  {
    id: "TB-COSMOS-002",
    description: "Cosmos DB requires TLS 1.2",
    types: ["azurerm_cosmosdb_account"],
    check: (c) => (c.minimal_tls_version === "Tls12" ? undefined : "minimal_tls_version must be Tls12"),
  },
  {
    id: "TB-COSMOS-003",
    description:
      "A role on the Fluid owner registry only reads, creates and deletes items (a record is never rewritten)",
    types: ["azurerm_cosmosdb_sql_role_definition"],
    check: (c) => {
      const scopes = (c.assignable_scopes as string[] | undefined) ?? [];
      if (!scopes.some((s) => String(s).endsWith(REGISTRY_SCOPE_SUFFIX))) return undefined;
      const actions = ((c.permissions as { data_actions?: string[] }[] | undefined) ?? []).flatMap(
        (p) => p.data_actions ?? [],
      );
      const extra = actions.filter((a) => !REGISTRY_ACTIONS.has(a));
      return extra.length === 0 ? undefined : `the owner registry's role may not grant ${extra.join(", ")}`;
    },
  },
  {
    id: "TB-COSMOS-004",
    description: "No built-in data role (Contributor rewrites records) is assigned on the Fluid owner registry",
    types: ["azurerm_cosmosdb_sql_role_assignment"],
    check: (c) =>
      String(c.scope).endsWith(REGISTRY_SCOPE_SUFFIX) && /sqlRoleDefinitions\/0{8}-/.test(String(c.role_definition_id))
        ? "assign the registry's custom role (CosmosDb.addFluidOwnerRegistry), not a built-in one"
        : undefined,
  },
  {
    id: "TB-AFD-001",
    description: "The WAF policy is enabled in prevention mode",
    types: ["azurerm_cdn_frontdoor_firewall_policy"],
    check: (c) =>
      c.mode === "Prevention" && c.enabled !== false ? undefined : "mode must be Prevention and enabled true",
  },
  {
    id: "TB-AFD-002",
    description: "Routes to private CDN prefixes cache with UseQueryString",
    types: ["azurerm_cdn_frontdoor_route"],
    check: (c, ctx) => {
      const patterns = (c.patterns_to_match as string[]) ?? [];
      const privateHit = (ctx.infra.cdn?.prefixes ?? []).filter(
        (p) =>
          p.cache === "private" &&
          patterns.some((x) => x.startsWith(p.prefix) || p.prefix.startsWith(x.replace(/\*$/, ""))),
      );
      const behavior = first(c.cache).query_string_caching_behavior;
      return privateHit.length && behavior !== "UseQueryString"
        ? `serves private prefix ${privateHit[0].prefix} but caches with ${behavior ?? "no cache setting"}; only UseQueryString keeps a cached copy behind a valid SAS`
        : undefined;
    },
  },
  {
    id: "TB-AFD-003",
    description: "Routes serve HTTPS only and forward over HTTPS",
    types: ["azurerm_cdn_frontdoor_route"],
    check: (c) => {
      const protocols = (c.supported_protocols as string[]) ?? [];
      return protocols.includes("Http") || c.forwarding_protocol !== "HttpsOnly"
        ? "supported_protocols must be Https only and forwarding_protocol HttpsOnly (a SAS over HTTP leaks)"
        : undefined;
    },
  },
  {
    id: "TB-AFD-004",
    description: "Every policy edge rule is present as a WAF custom rule",
    types: ["azurerm_cdn_frontdoor_firewall_policy"],
    check: (c, ctx) => {
      const expected = (ctx.infra.cdn?.prefixes ?? []).reduce(
        (n, p) => n + Object.values(p.edge?.countries ?? {}).length + Object.values(p.edge?.referrers ?? {}).length,
        0,
      );
      const actual = ((c.custom_rule as Json[]) ?? []).filter(
        (r) => r.enabled !== false && r.action === "Block",
      ).length;
      return actual < expected
        ? `${expected} edge rules in the policy, ${actual} blocking custom rules in the WAF`
        : undefined;
    },
  },
  {
    id: "TB-AI-001",
    description: "Application Insights accepts Entra-authenticated telemetry only",
    types: ["azurerm_application_insights"],
    check: (c) => (c.local_authentication_disabled === true ? undefined : "local_authentication_disabled must be true"),
  },
  {
    id: "TB-IAM-001",
    description: "Role assignments are least privilege: never Owner, Contributor or User Access Administrator",
    types: ["azurerm_role_assignment"],
    check: (c) =>
      ["Owner", "Contributor", "User Access Administrator"].includes(String(c.role_definition_name))
        ? `role ${c.role_definition_name} is too broad`
        : undefined,
  },
  {
    id: "TB-CORS-001",
    description: "No wildcard (*) CORS origin in production (Function App, Cosmos DB, Blob storage)",
    types: CORS_TYPES,
    check: (c, ctx, type) => {
      if (ctx.stage !== "production") return undefined;
      const wild = corsOrigins(c, type).filter((o) => o.includes("*"));
      return wild.length ? `CORS allows ${wild.join(", ")}; list the app's exact origins` : undefined;
    },
  },
  {
    id: "TB-CORS-002",
    description: "CORS never allows credentials together with a wildcard origin",
    types: ["azurerm_function_app_flex_consumption"],
    check: (c, _ctx, type) => {
      const credentials = first(first(c.site_config).cors).support_credentials === true;
      return credentials && corsOrigins(c, type).some((o) => o.includes("*"))
        ? "cors.support_credentials with a wildcard origin lets any site call with the user's cookies"
        : undefined;
    },
  },
  {
    id: "TB-CORS-003",
    description: "CORS origins are https outside development and ephemeral environments",
    types: CORS_TYPES,
    check: (c, ctx, type) => {
      if (ctx.stage === "development" || ctx.stage === "ephemeral") return undefined;
      const plain = corsOrigins(c, type).filter((o) => !o.startsWith("https://") && o !== "*");
      return plain.length
        ? `CORS allows ${plain.join(", ")}; a page served over http can be altered in transit`
        : undefined;
    },
  },
  {
    id: "TB-TAG-001",
    description: "Every taggable resource carries env, owner and policy-hash tags, and expires-on when ephemeral",
    types: ["*"],
    check: (c, ctx, type) => {
      if (!TAGGABLE.has(type)) return undefined;
      const tags = (c.tags as Record<string, string>) ?? {};
      const required = ["env", "owner", "policy-hash", ...(ctx.stage === "ephemeral" ? ["expires-on"] : [])];
      const missing = required.filter((t) => !tags[t]);
      return missing.length ? `missing tags: ${missing.join(", ")}` : undefined;
    },
  },
  {
    id: "TB-REDIS-001",
    description: "The shared store takes Entra authentication only (access keys off)",
    types: ["azurerm_managed_redis"],
    check: (c) =>
      first(c.default_database).access_keys_authentication_enabled === false
        ? undefined
        : "access_keys_authentication_enabled must be false: Entra tokens only, no shared key",
  },
  {
    id: "TB-REDIS-002",
    description: "The shared store is reachable over its private endpoint only",
    types: ["azurerm_managed_redis"],
    check: (c) =>
      c.public_network_access === "Disabled"
        ? undefined
        : "public_network_access must be Disabled (the broker reaches it through the private endpoint)",
  },
  {
    id: "TB-REDIS-003",
    description: "The shared store speaks TLS only",
    types: ["azurerm_managed_redis"],
    check: (c) =>
      first(c.default_database).client_protocol === "Encrypted" ? undefined : "client_protocol must be Encrypted",
  },
  {
    id: "TB-REDIS-004",
    description: "A revocation deny-list is neither evicted nor lost on restart",
    types: ["azurerm_managed_redis"],
    check: (c, ctx) => {
      if (!ctx.infra.sharedStore?.reasons.includes("revocation")) return undefined;
      const db = first(c.default_database);
      if (db.eviction_policy !== "NoEviction") {
        return "eviction_policy must be NoEviction: an evicted entry un-revokes a caller";
      }
      if (db.persistence_append_only_file_backup_frequency) return undefined;
      return "enable AOF persistence (persistence_append_only_file_backup_frequency) so a restart keeps revocations";
    },
  },
];

export function checkSecureDefaults(
  json: TerraformJson,
  ctx: RuleContext,
  suppressions: Suppression[] = [],
): Violation[] {
  const out: Violation[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      const address = `${type}.${name}`;
      for (const rule of RULES) {
        if (!rule.types.includes("*") && !rule.types.includes(type)) continue;
        const problem = rule.check(config, ctx, type);
        if (problem && !suppressions.some((s) => s.rule === rule.id && s.resource === address))
          out.push({ rule: rule.id, resource: address, message: problem });
      }
    }
  }
  return out;
}

/**
 * The rules as a validation of one stack. cdktf runs construct validations in `app.synth()` unless the App is
 * created with `skipValidation: true`, and in `Testing.synth(stack, runValidations)` only when asked.
 */
export class SecureDefaults {
  private readonly suppressions: Suppression[] = [];

  constructor(
    private readonly stack: TerraformStack,
    private readonly context: RuleContext,
  ) {
    stack.node.addValidation({ validate: () => this.violations().map(formatViolation) });
  }

  /** Accept one rule's finding on one resource (a Terraform address); the reason is part of the stack's review. */
  suppress(rule: string, resource: string, reason: string): void {
    if (reason.trim().length < 10)
      throw new Error(`suppressing ${rule} on ${resource} needs a reason a reviewer can judge`);
    this.suppressions.push({ rule, resource, reason });
  }

  violations(): Violation[] {
    return checkSecureDefaults(this.stack.toTerraform() as TerraformJson, this.context, this.suppressions);
  }
}

function formatViolation(v: Violation): string {
  return `${v.rule} ${v.resource}: ${v.message} (fix the construct props, or BrokerStack.suppress(rule, resource, reason))`;
}
