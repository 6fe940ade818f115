/**
 * One broker instance as its own process (node:http adapter), for the multi-instance test: the runtime config from
 * TOKEN_BROKER_POLICY_FILE, the store from SHARED_STORE_URL, a Fluid minter with a test key. Prints
 * `listening <url>` when ready; stops on SIGTERM. Run with `node --import tsx`.
 */
import type { RuntimeConfig } from "../../lib/policy/runtime/runtime-config";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { readFileSync } from "node:fs";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { createBrokerWithSharedState } from "../../functions-src/shared-state";
import { storeFromEnvironment } from "../../functions-src/store/store-from-environment";
import { TokenVerifier } from "../../functions-src/verify/verify-token";

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.env.TOKEN_BROKER_POLICY_FILE!, "utf8")) as RuntimeConfig;
  const store = await storeFromEnvironment(process.env, (line) => process.stderr.write(`${line}\n`));
  const fluid = () => ({
    tenantId: "t",
    endpoint: "http://127.0.0.1:1",
    key1: "test-key-1",
    key2: "test-key-2",
    active: "key1" as const,
  });
  const broker = createBrokerWithSharedState(
    { config, verifier: new TokenVerifier(config), minters: { fluid: createFluidMinter(fluid) } },
    { store, audit: () => undefined },
  );
  const server = await startNodeHttpBroker(broker);
  process.stdout.write(`listening ${server.url}\n`);
  process.on("SIGTERM", () => {
    void server
      .close()
      .then(() => store.close())
      .then(() => process.exit(0));
  });
}

void main();
