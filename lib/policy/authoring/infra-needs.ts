/**
 * What the infrastructure must provide for one environment's compiled policy. The stacks read only this, so
 * infrastructure and broker cannot disagree (e.g. Cosmos local auth stays on only when resource tokens are minted).
 */
import type { ResolvedEnvironment } from "./environments";
import type { RuntimeConfig } from "../runtime/runtime-config";
import type { EdgeRulesSource, PolicyDocument } from "./source-types";
import { substituteEnv } from "../runtime/template";

export const INFRA_NEEDS_FORMAT = "azure-token-broker/infra-needs@1";

export interface InfraNeeds {
  format: typeof INFRA_NEEDS_FORMAT;
  policyHash: string;
  environment: { name: string; stage: ResolvedEnvironment["stage"] };
  issuers: { name: string; type: "oidc" | "entra"; issuers: string[]; tenants?: string[]; audiences: string[] }[];
  cosmos?: {
    database: string;
    containers: { name: string; partitionKeyPath: string }[];
    /** Some role mints resource tokens, which need the account key. */
    mintsResourceTokens: boolean;
    /** true unless resource tokens are minted: an account with local auth disabled rejects them. */
    localAuthenticationDisabled: boolean;
    rbac: {
      name: string;
      principalId: string;
      principalType: "user" | "group" | "servicePrincipal";
      role?: "reader" | "contributor";
      dataActions?: string[];
      scope: "account" | "database" | "container";
      container?: string;
    }[];
  };
  fluid?: { mintsTokens: boolean };
  cdn?: {
    prefixes: {
      prefix: string;
      cache: "private" | "shared";
      /** Front Door route query-string caching: a private prefix must vary by SAS, or a cached copy skips the check. */
      queryStringCaching: "UseQueryString" | "IgnoreQueryString";
      edge?: { countries?: { allow?: string[]; deny?: string[] }; referrers?: { allow?: string[]; deny?: string[] } };
    }[];
    /** One block status per WAF policy (Front Door allows 200, 403, 405, 406, 429; the policy allows no 200). */
    denialStatus: number;
  };
  /** Key Vault secrets the broker reads (by name). */
  secrets: string[];
  /** Browser origins for platform CORS (Function App, Cosmos, storage); see lib/constructs/cors.ts. */
  allowedOrigins: string[];
}

export function buildInfraNeeds(doc: PolicyDocument, env: ResolvedEnvironment, config: RuntimeConfig): InfraNeeds {
  const grantTypes = new Set(config.roles.flatMap((r) => r.grants.map((g) => g.type)));
  const mintsResourceTokens = grantTypes.has("cosmos");
  const secrets: string[] = [];
  if (mintsResourceTokens) secrets.push("cosmos-account-key");
  if (grantTypes.has("fluid")) secrets.push("fluid-key1", "fluid-key2");
  const cosmos = doc.resources?.cosmos;
  const cdn = doc.resources?.cdn;
  return {
    format: INFRA_NEEDS_FORMAT,
    policyHash: config.policyHash,
    environment: config.environment,
    issuers: config.issuers.map((i) => ({ name: i.name, type: i.type, issuers: i.issuers, ...(i.tenants && { tenants: i.tenants }), audiences: i.audiences })),
    ...(cosmos && {
      cosmos: {
        database: cosmos.database,
        containers: Object.entries(cosmos.containers).map(([name, c]) => ({ name, partitionKeyPath: c.partitionKey })),
        mintsResourceTokens,
        localAuthenticationDisabled: !mintsResourceTokens,
        rbac: Object.entries(doc.cosmosRbac ?? {})
          .filter(([, a]) => a.stages === undefined || a.stages.includes(env.stage))
          .map(([name, a]) => ({
            name,
            principalId: substituteEnv(a.principal, env.values),
            principalType: a.principalType,
            ...(a.role && { role: a.role }),
            ...(a.dataActions && { dataActions: a.dataActions }),
            scope: a.scope,
            ...(a.container && { container: a.container }),
          })),
      },
    }),
    ...(doc.resources?.fluid && { fluid: { mintsTokens: grantTypes.has("fluid") } }),
    ...(cdn && {
      cdn: {
        prefixes: Object.entries(cdn.prefixes).map(([prefix, p]) => ({
          prefix,
          cache: p.cache ?? "private",
          queryStringCaching: p.cache === "shared" ? ("IgnoreQueryString" as const) : ("UseQueryString" as const),
          ...(p.edge && (p.edge.countries || p.edge.referrers) && { edge: edgeOf(p.edge) }),
        })),
        denialStatus: Object.values(cdn.prefixes).find((p) => p.edge?.denialStatus)?.edge?.denialStatus ?? 403,
      },
    }),
    secrets,
    allowedOrigins: [...env.allowedOrigins],
  };
}

function edgeOf(e: EdgeRulesSource): NonNullable<NonNullable<InfraNeeds["cdn"]>["prefixes"][number]["edge"]> {
  return { ...(e.countries && { countries: e.countries }), ...(e.referrers && { referrers: e.referrers }) };
}
