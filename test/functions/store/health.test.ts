/**
 * Issue 19, class 5: GET /api/health tells an anonymous caller "ok" or "degraded" and nothing else, and "degraded"
 * whenever the instance cannot issue. Generated over the policy's revocation mode and rate-limit scope and the
 * store's state. The store is a contract double (`SwitchableStore`: the in-memory store, plus an outage switch that
 * makes every call fail the way RedisStore does while Redis is away); revocation.test.ts does the same with a real
 * redis-server.
 */
import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import fc from "fast-check";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { createBrokerWithSharedState } from "../../../functions-src/shared-state";
import { MemoryStore } from "../../../functions-src/store/memory-store";
import { StoreUnavailableError, type SharedStore } from "../../../functions-src/store/shared-store";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey } from "../../support/key-server";
import { revocationPolicy } from "../../support/revocation-policy";

/** Contract double: MemoryStore semantics while up; while down, every call throws StoreUnavailableError. */
class SwitchableStore extends MemoryStore implements SharedStore {
  down = false;
  private guard<T>(op: string, f: () => Promise<T>): Promise<T> {
    return this.down ? Promise.reject(new StoreUnavailableError(op)) : f();
  }
  override getMany(keys: string[]) {
    return this.guard("getMany", () => super.getMany(keys));
  }
  override set(key: string, value: string, ttlMs: number) {
    return this.guard("set", () => super.set(key, value, ttlMs));
  }
  override async ping() {
    return !this.down;
  }
}

let keys: KeyServer;
beforeAll(async () => {
  keys = await new KeyServer().start();
  keys.keys = [await makeKey("k1")];
});
afterAll(() => keys.stop());

it("says exactly ok or degraded, degraded whenever the instance cannot issue or runs without its store", async () => {
  const scenario = fc.record({
    onStoreDown: fc.constantFrom("deny", "allow"),
    rateLimit: fc.constantFrom("", "rateLimit: { scope: global, perSecond: 5, burst: 10 }"),
    down: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(scenario, async ({ onStoreDown, rateLimit, down }) => {
      const { config } = compilePolicy(
        loadOk(filesInMemory(revocationPolicy(keys.issuer, onStoreDown, rateLimit))),
        "dev",
      );
      const store = new SwitchableStore();
      const fluid = () => ({
        tenantId: "t",
        endpoint: "http://127.0.0.1:1",
        key1: "a",
        key2: "b",
        active: "key1" as const,
      });
      const broker = createBrokerWithSharedState(
        { config, verifier: new TokenVerifier(config), minters: { fluid: createFluidMinter(fluid) } },
        { store, audit: () => undefined },
      );
      const token = await keys.sign({ aud: "api://broker", sub: "h", tid: "contoso", roles: ["editor"] });
      store.down = down;
      const exchange = await broker.handle({
        method: "POST",
        path: "/api/token",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ requests: [{ type: "fluid", documentId: "contoso-1" }] }),
      });
      const health = await broker.handle({ method: "GET", path: "/api/health", headers: {} });
      expect(health.status).toBe(200);
      expect(['{"status":"ok"}', '{"status":"degraded"}']).toContain(health.body);
      const degraded = health.body === '{"status":"degraded"}';
      // Cannot issue (a deny instance without its store answers 503): never "ok".
      if (exchange.status === 503) expect(degraded).toBe(true);
      expect(degraded).toBe(down);
    }),
    { seed: 1955, numRuns: 40 },
  );
});

it("gives the details health no longer tells (store, reachability, onStoreDown) to telemetry", async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  try {
    const { config } = compilePolicy(loadOk(filesInMemory(revocationPolicy(keys.issuer, "deny"))), "dev");
    const store = new SwitchableStore();
    const fluid = () => ({
      tenantId: "t",
      endpoint: "http://127.0.0.1:1",
      key1: "a",
      key2: "b",
      active: "key1" as const,
    });
    const broker = createBrokerWithSharedState(
      { config, verifier: new TokenVerifier(config), minters: { fluid: createFluidMinter(fluid) } },
      { store, audit: () => undefined },
    );
    store.down = true;
    expect((await broker.handle({ method: "GET", path: "/api/health", headers: {} })).body).toBe(
      '{"status":"degraded"}',
    );
    await reader.forceFlush();
    const points = exporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((sm) => sm.metrics))
      .filter((mt) => mt.descriptor.name === "broker.shared_store.reachable")
      .flatMap((mt) => mt.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);
    expect(points.map((p) => [p.attributes, p.value])).toContainEqual([
      { store: "memory", scope: "instance", rate_limit: "instance", on_store_down: "deny" },
      0,
    ]);
  } finally {
    metrics.disable();
  }
});
