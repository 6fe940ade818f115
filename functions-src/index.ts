/**
 * Azure Functions entry point. The compiled policy ships next to this file as policy.json (one artifact: code and
 * policy deploy together, and the policy hash is in every response).
 * The policy is read and checked against TOKEN_BROKER_POLICY_HASH when the host loads this module: a mismatch (or an
 * unreadable policy.json) throws here, so the host fails to index the functions and reports the error at start,
 * and no request is ever served under a policy nobody deployed. Settings that may recover on their own (a Key Vault
 * reference not yet resolvable, a backend's settings) still wait for the first request and answer 503 meanwhile.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { app } from "@azure/functions";
import type { RuntimeConfig } from "../lib/policy/runtime/runtime-config";
import { RUNTIME_CONFIG_FORMAT } from "../lib/policy/runtime/runtime-config";
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

export function loadRuntimeConfig(path = process.env.TOKEN_BROKER_POLICY_FILE ?? join(__dirname, "policy.json")): RuntimeConfig {
  const config = JSON.parse(readFileSync(path, "utf8")) as RuntimeConfig;
  if (config.format !== RUNTIME_CONFIG_FORMAT) throw new Error(`policy.json is ${config.format}, this broker reads ${RUNTIME_CONFIG_FORMAT}`);
  if (process.env.TOKEN_BROKER_POLICY_HASH && process.env.TOKEN_BROKER_POLICY_HASH !== config.policyHash) {
    // Both hashes are public (every response carries the policy hash); naming them tells the operator which is stale.
    const expected = process.env.TOKEN_BROKER_POLICY_HASH;
    throw new Error(
      `the deployed policy.json (${config.policyHash}) does not match TOKEN_BROKER_POLICY_HASH (${expected}): ` +
        "refusing to start",
    );
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

const config = loadRuntimeConfig();
let broker: Broker | undefined;
const trustedProxyHops = Number(process.env.TRUSTED_PROXY_HOPS ?? 2);
registerBrokerFunctions(app, () => (broker ??= brokerFromEnvironment(process.env, config)), { trustedProxyHops });
