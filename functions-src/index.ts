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
import { APP_SETTING } from "../lib/policy/runtime/app-settings";
import { registerBrokerFunctions } from "./adapters/azure-functions";
import { stdoutAudit } from "./audit";
import { createBroker, type Broker } from "./core";
import { createCdnMinter } from "./mint/cdn-minter";
import { createCosmosMinter } from "./mint/cosmos-minter";
import { createFluidMinter } from "./mint/fluid-minter";
import type { Minters } from "./mint/minter";
import { SubjectRateLimiter } from "./rate-limit";
import { cdnSettings, cosmosSettings, fluidSettings } from "./settings";
import { TokenVerifier } from "./verify/verify-token";

export function loadRuntimeConfig(path = process.env[APP_SETTING.policyFile] ?? join(__dirname, "policy.json")): RuntimeConfig {
  const config = JSON.parse(readFileSync(path, "utf8")) as RuntimeConfig;
  if (config.format !== RUNTIME_CONFIG_FORMAT) throw new Error(`policy.json is ${config.format}, this broker reads ${RUNTIME_CONFIG_FORMAT}`);
  const expectedHash = process.env[APP_SETTING.policyHash];
  if (expectedHash && expectedHash !== config.policyHash) {
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
  return createBroker({ config, verifier: new TokenVerifier(config), minters, audit: stdoutAudit, rateLimiter: new SubjectRateLimiter() });
}

let broker: Broker | undefined;
registerBrokerFunctions(app, () => (broker ??= brokerFromEnvironment()), { trustedProxyHops: Number(process.env[APP_SETTING.trustedProxyHops] ?? 2) });
