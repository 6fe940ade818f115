/**
 * The broker's OpenTelemetry output, captured with the SDK's in-memory exporters while real exchanges run against a
 * real key server and the Cosmos contract double: the operator's signals are there (exchanges by outcome, backend
 * calls and latency, denials, rejections, JWKS refreshes, breaker state, spans), and no exported span or metric
 * carries a token, a key, a subject, a claim value, a document id or the issuer URL.
 */
import { metrics, trace } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createCdnMinter } from "../../functions-src/mint/cdn-minter";
import { createCosmosMinter } from "../../functions-src/mint/cosmos-minter";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { KeyServer, makeKey } from "../support/key-server";
import { brokerFor, FLUID } from "./faults/helpers";

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
let server: KeyServer;
let cosmos: CosmosRestContractDouble;
const CDN_KEY = Buffer.from("cdn-account-key-telemetry-0123456789").toString("base64");

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
  cosmos = await new CosmosRestContractDouble("db", { items: "/tenantId" }).start();
});
afterAll(async () => {
  await cosmos.stop();
  await server.stop();
  trace.disable();
  metrics.disable();
});

it("exports the operator's signals, and nothing secret or personal in any attribute", async () => {
  const secrets: string[] = [
    FLUID.key1,
    FLUID.key2,
    cosmos.key,
    CDN_KEY,
    server.issuer,
    "telemetry-alice-7f3a",
    "secret-document-19",
    "files/private-report",
  ];
  const { exchange, core } = brokerFor(
    server.issuer,
    {
      fluid: createFluidMinter(() => FLUID),
      cosmos: createCosmosMinter(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database: "db" })),
      cdn: createCdnMinter(() => ({
        baseUrl: "http://127.0.0.1:1/acct/files",
        container: "files",
        signer: { kind: "account-key", accountName: "acct", keys: { primary: CDN_KEY, active: "primary" } },
      })),
    },
    { breakers: { failureThreshold: 1, timeoutMs: 500 } },
  );
  const token = await server.sign({ sub: "telemetry-alice-7f3a", roles: ["editor"], aud: "api://broker" });
  secrets.push(token, ...token.split("."));
  const all = [
    { type: "fluid", documentId: "secret-document-19" },
    { type: "cosmos", container: "items", access: "all" },
    { type: "cdn", path: "/files/private-report.pdf" },
  ];
  expect((await exchange(token, all)).status).toBe(200); // issued: three backends
  expect((await exchange(token, [{ type: "cdn", path: "/elsewhere/x" }])).status).toBe(403); // denied by policy
  const forged = await server.sign(
    { sub: "telemetry-alice-7f3a", roles: ["editor"], aud: "api://broker" },
    { key: await makeKey("forged") },
  );
  secrets.push(forged);
  expect((await exchange(forged)).status).toBe(401); // rejected
  cosmos.faults.status = 500;
  try {
    // A second caller (the first one's Cosmos token is cached): Cosmos down, partial answer, the breaker opens.
    const second = await server.sign({ sub: "telemetry-bob-91c2", roles: ["editor"], aud: "api://broker" });
    secrets.push(second, "telemetry-bob-91c2");
    const partial = await exchange(second, all);
    expect(partial.status).toBe(200);
    expect(partial.body.denied).toEqual([expect.objectContaining({ reason: "backend-unavailable" })]);
  } finally {
    cosmos.faults.status = 0;
  }
  expect(core.backendStates().cosmos).toBe("open");

  await reader.forceFlush();
  const exportedSpans = spans.getFinishedSpans();
  const exportedMetrics = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  const text = JSON.stringify({
    spans: exportedSpans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      resource: s.resource.attributes,
    })),
    metrics: exportedMetrics.map((mt) => ({
      name: mt.descriptor.name,
      points: mt.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
    })),
  });
  for (const secret of secrets) expect(text).not.toContain(secret);

  const points = (name: string) =>
    exportedMetrics
      .filter((mt) => mt.descriptor.name === name)
      .flatMap((mt) => mt.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);
  const sum = (name: string, attrs: Record<string, string>) =>
    points(name)
      .filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
      .reduce((n, p) => n + (p.value as number), 0);
  expect(sum("broker.exchanges", { outcome: "issued" })).toBe(1);
  expect(sum("broker.exchanges", { outcome: "denied" })).toBe(1);
  expect(sum("broker.exchanges", { outcome: "rejected" })).toBe(1);
  expect(sum("broker.exchanges", { outcome: "partial" })).toBe(1);
  expect(sum("broker.credentials", { backend: "cosmos", outcome: "issued" })).toBe(1);
  expect(sum("broker.credentials", { backend: "cosmos", outcome: "unavailable" })).toBe(1);
  expect(sum("broker.credentials", { backend: "fluid", outcome: "issued" })).toBe(2);
  expect(sum("broker.credentials", { backend: "cdn", outcome: "issued" })).toBe(2);
  expect(sum("broker.denials", { backend: "cdn", reason: "not-granted" })).toBe(1);
  expect(sum("broker.token_rejections", { reason: "ERR_TOKEN_SIGNATURE" })).toBe(1);
  expect(sum("broker.jwks.refreshes", { outcome: "ok" })).toBeGreaterThanOrEqual(1);
  expect(points("broker.backend.duration").some((p) => p.attributes.backend === "cosmos")).toBe(true);
  expect(points("broker.circuit_breaker.state").some((p) => p.attributes.backend === "cosmos" && p.value === 2)).toBe(
    true,
  );
  expect(exportedSpans.filter((s) => s.name === "broker.exchange")).toHaveLength(4);
  const mints = exportedSpans.filter((s) => s.name === "broker.mint");
  expect(mints.map((s) => s.attributes["broker.backend"]).sort()).toEqual([
    "cdn",
    "cdn",
    "cosmos",
    "cosmos",
    "fluid",
    "fluid",
  ]);
  const parent = exportedSpans.find(
    (s) => s.name === "broker.exchange" && s.attributes["broker.outcome"] === "partial",
  )!;
  expect(mints.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)).toHaveLength(3);
});
