/**
 * Real AzureClient sessions through Node against tinylicious (real HMAC + expiry check on connect) with tokens from
 * the broker via BrokerFluidTokenProvider:
 * - a token that expires mid-session is refreshed on reconnect, and the container is not disposed;
 * - the broker down for a few seconds while a container reconnects does not dispose it: the provider's errors
 *   say `canRetry`, so Fluid keeps trying, and the container reconnects once the broker is back.
 * Fluid tokens live at least 60 s (the policy's minimum): the sessions open with tokens minted 55 s in the past (the
 * broker's clock set back), so they really expire ~5 s later and the test waits seconds, not a minute.
 */
import { AzureClient } from "@fluidframework/azure-client";
import { SharedMap } from "fluid-framework/legacy";
import { BrokerClient } from "../../lib/client/index";
import { BrokerFluidTokenProvider } from "../../lib/client/fluid";
import { Tinylicious } from "../../lib/local/tinylicious";
import { FLUID_KEYS, RealBroker } from "./support/real-broker";

(globalThis as { navigator?: unknown }).navigator ??= { userAgent: "node" };

const tinylicious = new Tinylicious({ local: FLUID_KEYS });
let broker: RealBroker;
const schema = { initialObjects: { map: SharedMap } };
type Container = Awaited<ReturnType<AzureClient["createContainer"]>>["container"];

beforeAll(async () => {
  await tinylicious.start();
  broker = await new RealBroker({ fluidTtl: "1m", fluidEndpoint: tinylicious.endpoint }).start();
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  await tinylicious.stop();
});

function session() {
  const brokerClient = new BrokerClient({
    brokerUrl: broker.url,
    getAccessToken: () => broker.token(),
    retry: { maxRetries: 2 },
  });
  const provider = new BrokerFluidTokenProvider(brokerClient);
  const refreshes: boolean[] = [];
  const fetchOrderer = provider.fetchOrdererToken.bind(provider);
  provider.fetchOrdererToken = (t, d, refresh) => (refreshes.push(refresh === true), fetchOrderer(t, d, refresh));
  const client = new AzureClient({
    connection: { type: "local", endpoint: tinylicious.endpoint, tokenProvider: provider },
    // No summarizer: under jest (no --experimental-vm-modules) each summarizer container Fluid spawns fails to load
    // (its runtime is a dynamic import), and every failed one leaves its GC session-expiry timer (a chained 2^31 ms
    // setTimeout) and SummaryManager's retry delay pending: jest then never exits. Summaries are not under test here.
    configProvider: {
      getRawConfig: (name) => (name === "Fluid.ContainerRuntime.Test.DisableSummaries" ? true : undefined),
    },
  });
  return { brokerClient, client, refreshes };
}

const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function open(s: ReturnType<typeof session>): Promise<{ container: Container; disposed: () => boolean }> {
  const { container } = await s.client.createContainer(schema, "2");
  await container.attach();
  let disposed = false;
  container.on("disposed", () => (disposed = true));
  await until(() => container.connectionState === 2, 15_000, "the first connection");
  return { container, disposed: () => disposed };
}

const write = async (c: Container, key: string) => {
  (c.initialObjects.map as unknown as { set(k: string, v: string): void }).set(key, "ok");
  await until(() => !c.isDirty, 15_000, `"${key}" to be acknowledged`);
};

it("refreshes an expired token on reconnect, and survives the broker being down during a reconnect", async () => {
  const a = session();
  const b = session();
  broker.clockOffsetMs = -55_000;
  const [sa, sb] = await Promise.all([open(a), open(b)]);
  broker.clockOffsetMs = 0; // from now on the broker mints (and judges its own cache) at real time
  const callsA = a.brokerClient.brokerCalls;

  // Both sessions' tokens expire (60 s lifetime minted 55 s back, so ≤ 5 s from now; + margin for clock rounding).
  await new Promise((r) => setTimeout(r, 8_000));

  // 1. Broker up: the driver's cached orderer token is refused, it asks again with refresh=true, and reconnects.
  sa.container.disconnect();
  sa.container.connect();
  await until(() => sa.container.connectionState === 2, 20_000, "A to reconnect");
  expect(a.refreshes).toContain(true);
  expect(a.brokerClient.brokerCalls).toBeGreaterThan(callsA);
  expect(sa.disposed()).toBe(false);
  await write(sa.container, "after-refresh");

  // 2. Broker down for 3 s while B reconnects with an expired token; B must not be disposed, and must reconnect.
  const port = Number(new URL(broker.url).port);
  await broker.stopHttp();
  sb.container.disconnect();
  sb.container.connect();
  await new Promise((r) => setTimeout(r, 3_000));
  expect(sb.disposed()).toBe(false);
  expect(sb.container.connectionState).not.toBe(2);
  await broker.startHttp(port);
  await until(() => sb.container.connectionState === 2, 30_000, "B to reconnect after the outage");
  expect(sb.disposed()).toBe(false);
  await write(sb.container, "after-outage");

  sa.container.dispose();
  sb.container.dispose();
}, 150_000);
