/**
 * Azure Functions entry point. The compiled policy ships next to this file as policy.json (one artifact: code and
 * policy deploy together, and the policy hash is in every response). Building the broker waits for the first
 * request, so a configuration problem is a 503 on a request, not a host crash loop.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { app } from "@azure/functions";
import type { RuntimeConfig } from "../lib/policy/runtime/runtime-config";
import { RUNTIME_CONFIG_FORMAT } from "../lib/policy/runtime/runtime-config";
import { registerBrokerFunctions } from "./adapters/azure-functions";
import { cosmosGcFromEnvironment, registerCosmosGcTimer } from "./adapters/cosmos-gc-timer";
import { stdoutAudit } from "./audit";
import type { Broker } from "./core";
import { createCdnMinter } from "./mint/cdn-minter";
import { createCosmosMinter } from "./mint/cosmos-minter";
import { createFluidMinter } from "./mint/fluid-minter";
import type { Minters } from "./mint/minter";
import { cdnSettings, cosmosSettings, fluidSettings } from "./settings";
import { createBrokerWithSharedState, deferredBroker } from "./shared-state";
import { storeFromEnvironment } from "./store/store-from-environment";
import { TokenVerifier } from "./verify/verify-token";

export function loadRuntimeConfig(path = process.env.TOKEN_BROKER_POLICY_FILE ?? join(__dirname, "policy.json")): RuntimeConfig {
  const config = JSON.parse(readFileSync(path, "utf8")) as RuntimeConfig;
  if (config.format !== RUNTIME_CONFIG_FORMAT) throw new Error(`policy.json is ${config.format}, this broker reads ${RUNTIME_CONFIG_FORMAT}`);
  if (process.env.TOKEN_BROKER_POLICY_HASH && process.env.TOKEN_BROKER_POLICY_HASH !== config.policyHash) {
    throw new Error("the deployed policy.json does not match TOKEN_BROKER_POLICY_HASH");
  }
  return config;
}

export function brokerFromEnvironment(env: NodeJS.ProcessEnv = process.env, config = loadRuntimeConfig()): Broker {
  const minters: Minters = {};
  const fluid = fluidSettings(env);
  if (fluid) minters.fluid = createFluidMinter(fluid);
  const cosmos = cosmosSettings(env);
  if (cosmos) minters.cosmos = createCosmosMinter(cosmos);
  const cdn = cdnSettings(env);
  if (cdn) minters.cdn = createCdnMinter(cdn);
  // The store (and so the shared state) is connected before the first request is answered; see shared-state.ts.
  const store = storeFromEnvironment(env, (line) => process.stderr.write(`${line}\n`));
  return deferredBroker(store.then((s) => createBrokerWithSharedState({ config, verifier: new TokenVerifier(config), minters }, { store: s, audit: stdoutAudit, cosmos: cosmosSettings(env) })));
}

let broker: Broker | undefined;
registerBrokerFunctions(app, () => (broker ??= brokerFromEnvironment()), { trustedProxyHops: Number(process.env.TRUSTED_PROXY_HOPS ?? 2) });
registerCosmosGcTimer(app, () => cosmosGcFromEnvironment(process.env));
