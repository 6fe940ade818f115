/**
 * The Fluid owner registry and its registration route, when the policy records owners (resources.fluid.owners):
 * Cosmos DB from COSMOS_ENDPOINT / COSMOS_DATABASE (the account key when COSMOS_KEY is set, the managed identity
 * otherwise), the Fluid keys from the Fluid settings. A policy that scopes grants by owner without these settings
 * simply finds no owner: owner-scoped grants then cover nothing (deny by default), and the broker says so at start.
 */
import type { RuntimeConfig } from "../../lib/policy/runtime/runtime-config";
import { APP_SETTING } from "../../lib/policy/runtime/app-settings";
import type { AuditSink } from "../audit";
import type { BrokerDeps } from "../core";
import type { FluidSettings } from "../mint/fluid-minter";
import { requireSecret } from "../secrets";
import { cosmosOwnerRegistry } from "./cosmos-owner-registry";
import { cachedOwnerRegistry } from "./owner-registry";
import { createFluidRegistration } from "./registration-route";

export function fluidOwnersFromEnvironment(
  config: RuntimeConfig,
  env: Readonly<Record<string, string | undefined>>,
  fluid: (() => FluidSettings) | undefined,
  audit: AuditSink,
  announce: (line: string) => void,
): BrokerDeps["fluidOwners"] {
  const tenantClaim = config.resources.fluidOwners?.tenantClaim;
  if (tenantClaim === undefined) return undefined;
  const endpoint = env[APP_SETTING.cosmosEndpoint];
  if (!fluid || !endpoint) {
    announce("Fluid owners: no Cosmos endpoint or Fluid keys configured; owner-scoped Fluid grants cover nothing");
    return undefined;
  }
  const registry = cachedOwnerRegistry(
    cosmosOwnerRegistry(() => ({
      endpoint,
      database: env[APP_SETTING.cosmosDatabase] ?? "",
      ...(env[APP_SETTING.cosmosKey] && { key: requireSecret(env, APP_SETTING.cosmosKey) }),
    })),
  );
  const register = createFluidRegistration({ registry, fluid, tenantClaim, policy: config.policyHash, audit });
  return { registry, register };
}
