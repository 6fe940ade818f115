/**
 * OTLP export as an operator runs it locally: a broker process (test/support/otlp-exporting-broker.ts: the real
 * core, `startTelemetryExport` with TOKEN_BROKER_TELEMETRY=otlp and OTEL_EXPORTER_OTLP_ENDPOINT) exports to a real
 * OTLP/HTTP receiver, a node:http server on 127.0.0.1 in this test that keeps every request it gets. Real exchanges
 * against a real key server (issued, denied, rejected), then a shutdown that sends what is buffered. The spans and
 * metrics arrive as OTLP JSON, and no token, minted credential, key, subject, claim value, document id, path or
 * issuer URL appears anywhere in what the receiver got (paths, headers, bodies).
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { otlpUrl, telemetryExportFor } from "../../functions-src/telemetry-export";
import { KeyServer, makeKey } from "../support/key-server";
import { FLUID } from "./faults/helpers";

interface Received {
  path: string;
  contentType: string;
  text: string;
}
const received: Received[] = [];
let receiver: Server;
let receiverUrl: string;
let keys: KeyServer;
const CDN_KEY = Buffer.from("cdn-account-key-otlp-0123456789").toString("base64");

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = `${JSON.stringify(req.headers)}\n${Buffer.concat(chunks).toString("utf8")}`;
      received.push({ path: req.url ?? "", contentType: req.headers["content-type"] ?? "", text });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  keys = await new KeyServer().start();
  keys.keys = [await makeKey("k1")];
});
function runChild(env: Record<string, string>): Promise<Record<string, unknown>> {
  const script = join(__dirname, "..", "support", "otlp-exporting-broker.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split("\n").pop()!));
      else reject(new Error(`the exporting broker exited ${code}`));
    });
  });
}

afterAll(async () => {
  await keys.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

test("which export the settings select, and the OTLP URLs the specification prescribes", () => {
  expect(telemetryExportFor({})).toBe("none");
  expect(telemetryExportFor({ TOKEN_BROKER_TELEMETRY: "otlp" })).toBe("otlp");
  expect(telemetryExportFor({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toBe("otlp");
  expect(telemetryExportFor({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" })).toBe("otlp");
  expect(telemetryExportFor({ TOKEN_BROKER_TELEMETRY: "console", OTEL_EXPORTER_OTLP_ENDPOINT: "http://x" })).toBe(
    "console",
  );
  expect(telemetryExportFor({ APPLICATIONINSIGHTS_CONNECTION_STRING: "x", TOKEN_BROKER_TELEMETRY: "otlp" })).toBe(
    "azure-monitor",
  );
  expect(otlpUrl({}, "traces")).toBe("http://localhost:4318/v1/traces");
  expect(otlpUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" }, "metrics")).toBe("http://c:4318/v1/metrics");
  const own = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t/x" };
  expect(otlpUrl(own, "traces")).toBe("http://t/x");
  expect(otlpUrl(own, "metrics")).toBe("http://c:4318/v1/metrics");
});

test("spans and metrics reach a real OTLP/HTTP receiver, with nothing secret or personal in them", async () => {
  const subject = "otlp-carol-5d1e";
  const token = await keys.sign({ sub: subject, roles: ["editor"], aud: "api://broker" });
  const forged = await keys.sign({ sub: subject, roles: ["editor"], aud: "api://broker" }, { key: await makeKey("x") });
  const run = await runChild({
    TOKEN_BROKER_TELEMETRY: "otlp",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_SERVICE_NAME: "broker-test",
    TB_ISSUER: keys.issuer,
    TB_TOKEN: token,
    TB_FORGED: forged,
    TB_CDN_KEY: CDN_KEY,
  });
  expect(run).toEqual({
    kind: "otlp",
    statuses: [200, 403, 401],
    minted: [expect.any(String), expect.any(String)],
    logged: [],
  });
  const minted = run.minted as string[];

  const traces = received.filter((r) => r.path === "/v1/traces");
  const metricPosts = received.filter((r) => r.path === "/v1/metrics");
  expect(traces.length).toBeGreaterThan(0);
  expect(metricPosts.length).toBeGreaterThan(0);
  for (const r of received) expect(r.contentType).toBe("application/json");

  const body = (r: Received) => JSON.parse(r.text.slice(r.text.indexOf("\n") + 1));
  type KeyValue = { key: string; value: { stringValue?: string; intValue?: number | string } };
  const attrs = (list: KeyValue[] = []) => Object.fromEntries(list.map((a) => [a.key, a.value.stringValue]));
  const resourceSpans = traces.flatMap((r) => body(r).resourceSpans);
  expect(attrs(resourceSpans[0].resource.attributes)["service.name"]).toBe("broker-test");
  const spans = resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss: { spans: unknown[] }) => ss.spans)) as {
    name: string;
    attributes: KeyValue[];
  }[];
  expect(spans.filter((s) => s.name === "broker.exchange")).toHaveLength(3);
  expect(spans.filter((s) => s.name === "broker.mint").map((s) => attrs(s.attributes)["broker.backend"])).toEqual(
    expect.arrayContaining(["fluid", "cdn"]),
  );

  const sent = metricPosts
    .flatMap((r) => body(r).resourceMetrics)
    .flatMap((rm) => rm.scopeMetrics.flatMap((sm: { metrics: unknown[] }) => sm.metrics)) as {
    name: string;
    sum?: { dataPoints: { attributes: KeyValue[]; asInt?: number | string; asDouble?: number }[] };
  }[];
  const exchanges = (outcome: string) =>
    sent
      .filter((m) => m.name === "broker.exchanges")
      .flatMap((m) => m.sum?.dataPoints ?? [])
      .filter((p) => attrs(p.attributes).outcome === outcome)
      .reduce((n, p) => Math.max(n, Number(p.asInt ?? p.asDouble)), 0);
  expect([exchanges("issued"), exchanges("denied"), exchanges("rejected")]).toEqual([1, 1, 1]);
  expect(sent.map((m) => m.name)).toEqual(expect.arrayContaining(["broker.credentials", "broker.token_rejections"]));

  const everything = received.map((r) => `${r.path}\n${r.text}`).join("\n");
  expect(everything).toContain("broker.exchange"); // the scan below reads real exports, not an empty string
  const secrets = [
    token,
    ...token.split("."),
    forged,
    ...minted,
    FLUID.key1,
    FLUID.key2,
    CDN_KEY,
    keys.issuer,
    subject,
    "otlp-secret-document-7",
    "otlp-private-plan",
    "otlp-x",
  ];
  for (const secret of secrets) expect(everything).not.toContain(secret);
});
