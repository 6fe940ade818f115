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
import { APP_SETTING } from "../lib/policy/runtime/app-settings";
import { registerBrokerFunctions } from "./adapters/azure-functions";
import { cosmosGcFromEnvironment, registerCosmosGcTimer } from "./adapters/cosmos-gc-timer";
import { stdoutAudit } from "./audit";
import type { Broker } from "./core";
import { createCdnMinter } from "./mint/cdn-minter";
import { createCosmosMinter } from "./mint/cosmos-minter";
import { createFluidMinter } from "./mint/fluid-minter";
import { fluidOwnersFromEnvironment } from "./fluid-owners/owners-from-environment";
import type { Minters } from "./mint/minter";
import { cdnSettings, cosmosSettings, fluidSettings } from "./settings";
import { rotatedKeysFromEnvironment } from "./keys/keys-from-environment";
import { startTelemetryExport } from "./telemetry-export";
import { createBrokerWithSharedState, deferredBroker } from "./shared-state";
import type { SharedStore } from "./store/shared-store";
import { storeFromEnvironment } from "./store/store-from-environment";
import { TokenVerifier } from "./verify/verify-token";

export function loadRuntimeConfig(
  path = process.env[APP_SETTING.policyFile] ?? join(__dirname, "policy.json"),
): RuntimeConfig {
  const config = JSON.parse(readFileSync(path, "utf8")) as RuntimeConfig;
  if (config.format !== RUNTIME_CONFIG_FORMAT)
    throw new Error(`policy.json is ${config.format}, this broker reads ${RUNTIME_CONFIG_FORMAT}`);
  const expected = process.env[APP_SETTING.policyHash];
  if (expected && expected !== config.policyHash) {
    // Both hashes are public (every response carries the policy hash); naming them tells the operator which is stale.
    throw new Error(
      `the deployed policy.json (${config.policyHash}) does not match TOKEN_BROKER_POLICY_HASH (${expected}): ` +
        "refusing to start",
    );
  }
  return config;
}

const announce = (line: string) => process.stderr.write(`${line}\n`);

export function brokerFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  config = loadRuntimeConfig(),
  store: Promise<SharedStore> = storeFromEnvironment(env, announce),
): Broker {
  const minters: Minters = {};
  const fluid = fluidSettings(env);
  if (fluid) minters.fluid = createFluidMinter(fluid);
  const cosmos = cosmosSettings(env);
  if (cosmos) minters.cosmos = createCosmosMinter(cosmos);
  const cdn = cdnSettings(env);
  if (cdn) minters.cdn = createCdnMinter(cdn);
  // docs/replay.md: with a key (a Key Vault reference in app settings), equality-only claims are audited as HMACs.
  const hashKey = env[APP_SETTING.auditClaimHashKey];
  const auditHashKey = hashKey ? Buffer.from(hashKey, "utf8") : undefined;
  // The store (and so the shared state) is connected before the first request is answered; see shared-state.ts.
  const verifier = new TokenVerifier(config);
  const fluidOwners = fluidOwnersFromEnvironment(config, env, fluid, stdoutAudit, announce);
  // With KEY_VAULT_URL, the first request also waits for the first read of the rotated keys (never a placeholder:
  // a key document that cannot be read leaves its minter answering 503 until a later read succeeds).
  const keysRead = rotatedKeysFromEnvironment(env)?.ready() ?? Promise.resolve();
  return deferredBroker(
    Promise.all([store, keysRead]).then(([s]) =>
      createBrokerWithSharedState(
        { config, verifier, minters, auditHashKey, fluidOwners },
        { store: s, audit: stdoutAudit, cosmos },
      ),
    ),
  );
}

// Telemetry export starts in the background: the first request does not wait for an exporter to load.
void startTelemetryExport();

const config = loadRuntimeConfig();
let broker: Broker | undefined;
const trustedProxyHops = Number(process.env[APP_SETTING.trustedProxyHops] ?? 2);
// One store per process, shared by the broker and the GC timer (the GC reads what the minters record there).
let store: Promise<SharedStore> | undefined;
const storeOnce = () => (store ??= storeFromEnvironment(process.env, announce));
registerBrokerFunctions(app, () => (broker ??= brokerFromEnvironment(process.env, config, storeOnce())), {
  trustedProxyHops,
});
registerCosmosGcTimer(app, () => cosmosGcFromEnvironment(process.env, storeOnce()));
