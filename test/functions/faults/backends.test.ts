/**
 * Backend faults: Cosmos slow or erroring (the REST contract double with injected faults), a circuit breaker per
 * backend, and a Key Vault reference that did not resolve. What the caller sees and what the audit log records.
 * Per-request reporting: when some requests in a call are issued, the unavailable ones are listed in `denied` with
 * reason "backend-unavailable" and retryAfterSeconds (200); when nothing could be issued, 503 + Retry-After.
 */
import { createCdnMinter } from "../../../functions-src/mint/cdn-minter";
import { createCosmosMinter } from "../../../functions-src/mint/cosmos-minter";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { requireSecret } from "../../../functions-src/secrets";
import { CosmosRestContractDouble } from "../../../lib/local/cosmos-rest-contract-double";
import { KeyServer, makeKey } from "../../support/key-server";
import { brokerFor, FLUID } from "./helpers";

let server: KeyServer;
let cosmos: CosmosRestContractDouble;
const settings: Record<string, string> = {};
const ALL = [
  { type: "fluid", documentId: "doc-1" },
  { type: "cosmos", container: "items", access: "all" },
  { type: "cdn", path: "/files/logo.png" },
];
const editor = (sub: string) => server.sign({ sub, roles: ["editor"], aud: "api://broker" });

function minters() {
  const cosmosMinter = createCosmosMinter(() => ({
    endpoint: cosmos.endpoint,
    key: requireSecret(settings, "COSMOS_KEY"),
    database: "db",
  }));
  const cdn = createCdnMinter(() => ({
    baseUrl: "http://127.0.0.1:1/devstoreaccount1/files",
    container: "files",
    signer: {
      kind: "account-key",
      accountName: "devstoreaccount1",
      keys: { primary: Buffer.from("k".repeat(32)).toString("base64"), active: "primary" },
    },
  }));
  return { fluid: createFluidMinter(() => FLUID), cosmos: cosmosMinter, cdn };
}

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
  cosmos = await new CosmosRestContractDouble("db", { items: "/tenantId" }).start();
});
afterAll(async () => {
  await cosmos.stop();
  await server.stop();
});
beforeEach(() => {
  settings.COSMOS_KEY = cosmos.key;
  cosmos.faults.delayMs = 0;
  cosmos.faults.status = 0;
});

it("all three backends healthy: every credential issued, health ok", async () => {
  const { exchange, core } = brokerFor(server.issuer, minters());
  const r = await exchange(await editor("healthy"), ALL);
  expect(r.status).toBe(200);
  expect(r.body.credentials.map((c: { type: string }) => c.type)).toEqual(["fluid", "cosmos", "cdn"]);
  expect(JSON.parse((await core.handle({ method: "GET", path: "/api/health", headers: {} })).body)).toEqual({
    status: "ok",
  });
});

describe.each([
  ["erroring (500 on every call)", () => void (cosmos.faults.status = 500)],
  ["slow (answers after 2 s; the breaker's call timeout is 300 ms)", () => void (cosmos.faults.delayMs = 2000)],
])("Cosmos %s", (_name, breakIt) => {
  it("Cosmos requests are reported unavailable per request while Fluid and CDN in the same call are issued", async () => {
    breakIt();
    const { exchange, audit } = brokerFor(server.issuer, minters(), {
      breakers: { timeoutMs: 300, failureThreshold: 3 },
    });
    const started = Date.now();
    const r = await exchange(await editor("partial"), ALL);
    expect(Date.now() - started).toBeLessThan(1900); // not held for the slow backend
    expect(r.status).toBe(200);
    expect(r.body.credentials.map((c: { type: string }) => c.type)).toEqual(["fluid", "cdn"]);
    expect(r.body.denied).toEqual([
      {
        request: 1,
        type: "cosmos",
        reason: "backend-unavailable",
        message: "cosmos cannot issue credentials right now",
        retryAfterSeconds: 5,
      },
    ]);
    expect(audit.map((a) => [a.event, a.type, a.reason])).toEqual([
      ["issued", "fluid", undefined],
      ["denied", "cosmos", "backend-unavailable"],
      ["issued", "cdn", undefined],
    ]);
  });

  it("a call that asks only Cosmos answers 503 + Retry-After; the breaker opens, stops calling, and closes on recovery", async () => {
    breakIt();
    let now = Date.now();
    const { exchange, core, audit } = brokerFor(server.issuer, minters(), {
      now: () => now,
      breakers: { timeoutMs: 300, failureThreshold: 3, openSeconds: 10, now: () => now },
    });
    const only = [{ type: "cosmos", container: "items", access: "all" }];
    const token = await editor("breaker");
    for (let i = 0; i < 3; i++) {
      const r = await exchange(token, only);
      expect(r.status).toBe(503);
      expect(r.headers["retry-after"]).toBe("5");
    }
    expect(core.backendStates().cosmos).toBe("open");
    expect(JSON.parse((await core.handle({ method: "GET", path: "/api/health", headers: {} })).body)).toEqual({
      status: "degraded",
    });
    // Open: the next 20 calls fail fast and never reach Cosmos.
    const calls = cosmos.calls.length;
    for (let i = 0; i < 20; i++) {
      const r = await exchange(token, only);
      expect(r.status).toBe(503);
      expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    expect(cosmos.calls.length).toBe(calls);
    expect(audit.filter((a) => a.reason === "backend-unavailable")).toHaveLength(23);
    // Cosmos recovers; after the open period one trial call goes through and closes the breaker.
    cosmos.faults.status = 0;
    cosmos.faults.delayMs = 0;
    now += 10_000;
    expect(core.backendStates().cosmos).toBe("half-open");
    const back = await exchange(token, only);
    expect(back.status).toBe(200);
    expect(back.body.credentials[0].resourceTokens).toBeDefined();
    expect(core.backendStates().cosmos).toBe("closed");
    expect(JSON.parse((await core.handle({ method: "GET", path: "/api/health", headers: {} })).body)).toEqual({
      status: "ok",
    });
  }, 20_000);
});

it("a half-open breaker whose trial fails opens again", async () => {
  cosmos.faults.status = 503;
  let now = Date.now();
  const { exchange, core } = brokerFor(server.issuer, minters(), {
    now: () => now,
    breakers: { failureThreshold: 1, openSeconds: 10, now: () => now },
  });
  const only = [{ type: "cosmos", container: "items" }];
  const token = await editor("trial");
  expect((await exchange(token, only)).status).toBe(503);
  expect(core.backendStates().cosmos).toBe("open");
  now += 10_000;
  expect((await exchange(token, only)).status).toBe(503);
  expect(core.backendStates().cosmos).toBe("open");
}, 20_000);

it("an unresolved Key Vault reference: that backend unavailable, the rest issued, health degraded without why", async () => {
  settings.COSMOS_KEY = "@Microsoft.KeyVault(SecretUri=https://kv-tb.vault.azure.net/secrets/cosmos-key/)";
  const { exchange, core, audit } = brokerFor(server.issuer, minters());
  const r = await exchange(await editor("kv"), ALL);
  expect(r.status).toBe(200);
  expect(r.body.credentials.map((c: { type: string }) => c.type)).toEqual(["fluid", "cdn"]);
  expect(r.body.denied).toEqual([
    expect.objectContaining({ request: 1, type: "cosmos", reason: "backend-unavailable", retryAfterSeconds: 30 }),
  ]);
  const onlyCosmos = await exchange(await editor("kv2"), [{ type: "cosmos", container: "items" }]);
  expect(onlyCosmos.status).toBe(503);
  const health = await core.handle({ method: "GET", path: "/api/health", headers: {} });
  expect(health.status).toBe(200);
  expect(health.body).toBe('{"status":"degraded"}');
  for (const text of [JSON.stringify(r.body), JSON.stringify(onlyCosmos.body), JSON.stringify(audit), health.body]) {
    expect(text).not.toMatch(/vault|KeyVault|COSMOS_KEY/i);
  }
  settings.COSMOS_KEY = cosmos.key;
  expect(JSON.parse((await core.handle({ method: "GET", path: "/api/health", headers: {} })).body)).toEqual({
    status: "ok",
  });
});
