/** Derives one environment's InfraNeeds (the contract in ./infra-needs.ts) from the policy and its compiled form. */
import { sharedStoreReasons } from "./compile-shared-state";
import { inStage } from "./document-queries";
import { referrersFromOrigins } from "./edge-referrers";
import type { ResolvedEnvironment } from "./environments";
import { INFRA_NEEDS_FORMAT, KEY_VAULT_SECRET, type AzureSettings, type InfraNeeds } from "./infra-needs";
import type { RuntimeConfig } from "../runtime/runtime-config";
import type { AzureEnvironmentSource, EdgeRulesSource, PolicyDocument } from "./source-types";
import { substituteEnv } from "../runtime/template";

export function buildInfraNeeds(
  doc: PolicyDocument,
  env: ResolvedEnvironment,
  azure: AzureEnvironmentSource,
  config: RuntimeConfig,
): InfraNeeds {
  const grantTypes = new Set(config.roles.flatMap((r) => r.grants.map((g) => g.type)));
  const mintsResourceTokens = grantTypes.has("cosmos");
  const secrets: string[] = [];
  if (mintsResourceTokens) secrets.push(KEY_VAULT_SECRET.cosmosKeys);
  if (grantTypes.has("fluid")) secrets.push(KEY_VAULT_SECRET.fluidKeys);
  const cosmos = doc.resources?.cosmos;
  const cdn = doc.resources?.cdn;
  return {
    format: INFRA_NEEDS_FORMAT,
    policyHash: config.policyHash,
    environment: { ...config.environment, entry: env.entry },
    azure: azureSettings(azure),
    issuers: config.issuers.map((i) => ({
      name: i.name,
      type: i.type,
      issuers: i.issuers,
      discovery: i.discovery,
      ...(i.tenants && { tenants: i.tenants }),
      audiences: i.audiences,
    })),
    ...(cosmos && {
      cosmos: {
        database: cosmos.database,
        containers: Object.entries(cosmos.containers).map(([name, c]) => ({ name, partitionKeyPath: c.partitionKey })),
        mintsResourceTokens,
        localAuthenticationDisabled: !mintsResourceTokens,
        rbac: Object.entries(doc.cosmosRbac ?? {})
          .filter(([, a]) => inStage(a.stages, env))
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
    ...(doc.resources?.fluid && {
      fluid: { mintsTokens: grantTypes.has("fluid"), ...(doc.resources.fluid.owners && { ownerRegistry: true }) },
    }),
    ...(cdn && {
      cdn: {
        prefixes: Object.entries(cdn.prefixes).map(([prefix, p]) => ({
          prefix,
          cache: p.cache ?? "private",
          queryStringCaching: p.cache === "shared" ? ("IgnoreQueryString" as const) : ("UseQueryString" as const),
          ...(p.edge && (p.edge.countries || p.edge.referrers) && { edge: edgeOf(p.edge, env) }),
        })),
        denialStatus: Object.values(cdn.prefixes).find((p) => p.edge?.denialStatus)?.edge?.denialStatus ?? 403,
      },
    }),
    secrets,
    allowedOrigins: [...env.allowedOrigins],
    ...(sharedStoreReasons(doc).length > 0 && { sharedStore: { reasons: sharedStoreReasons(doc) } }),
  };
}

type EdgeNeeds = NonNullable<NonNullable<InfraNeeds["cdn"]>["prefixes"][number]["edge"]>;

function edgeOf(e: EdgeRulesSource, env: ResolvedEnvironment): EdgeNeeds {
  const r = e.referrers;
  const referrers = r && {
    ...(r.allow && { allow: r.allow === "origins" ? referrersFromOrigins(env.allowedOrigins) : r.allow }),
    ...(r.deny && { deny: r.deny }),
  };
  return { ...(e.countries && { countries: e.countries }), ...(referrers && { referrers }) };
}

/** The environment's Azure settings with every default applied, so no stack or construct picks its own. */
function azureSettings(a: AzureEnvironmentSource): AzureSettings {
  return {
    location: a.location ?? "westeurope",
    workload: a.workload ?? "tb",
    owner: a.owner ?? "platform",
    frontDoorSku: a.frontDoorSku ?? "Standard_AzureFrontDoor",
    cosmosAutoscaleMaxThroughput: a.cosmosAutoscaleMaxThroughput ?? 1000,
    expiresAfterDays: a.expiresAfterDays ?? 7,
    ...(a.easyAuthClientId && { easyAuthClientId: a.easyAuthClientId }),
    ...(a.repository && { repository: a.repository }),
    ...(a.state && { state: a.state }),
  };
}
