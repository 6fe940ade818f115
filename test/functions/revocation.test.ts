/**
 * Revocation in one broker instance, with a real redis-server, a real key server and the Cosmos contract double:
 * the admin route and its role gate, the deny-list reaching cached verifications, jti revocation, the lifetime
 * bound, the Cosmos cleanup, onStoreDown deny/allow, health and the audit record.
 */
import type { AuditRecord } from "../../functions-src/audit";
import type { Broker } from "../../functions-src/core";
import { cosmosUserPrefix, createCosmosMinter } from "../../functions-src/mint/cosmos-minter";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { createBrokerWithSharedState } from "../../functions-src/shared-state";
import { RedisStore } from "../../functions-src/store/redis-store";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { LocalRedis } from "../../lib/local/redis";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";
import { revocationPolicy } from "../support/revocation-policy";

const redis = new LocalRedis();
const double = new CosmosRestContractDouble("db", { items: "/tenantId" });
let keys: KeyServer;
const audit: AuditRecord[] = [];
const stores: RedisStore[] = [];

async function brokerWith(onStoreDown: "deny" | "allow"): Promise<Broker> {
  const { config } = compilePolicy(loadOk(filesInMemory(revocationPolicy(keys.issuer, onStoreDown))), "dev");
  const store = await RedisStore.connect({ url: redis.url });
  stores.push(store);
  const cosmos = () => ({ endpoint: double.endpoint, key: double.key, database: "db" });
  const fluid = () => ({
    tenantId: "t",
    endpoint: "http://127.0.0.1:1",
    key1: "k1",
    key2: "k2",
    active: "key1" as const,
  });
  return createBrokerWithSharedState(
    {
      config,
      verifier: new TokenVerifier(config),
      minters: { fluid: createFluidMinter(fluid), cosmos: createCosmosMinter(cosmos) },
    },
    { store, audit: (r) => audit.push(r), cosmos },
  );
}

const exchange = (b: Broker, token: string, requests: unknown[] = [{ type: "fluid", documentId: "contoso-1" }]) =>
  b.handle({
    method: "POST",
    path: "/api/token",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ requests }),
  });
const revoke = (b: Broker, token: string, body: unknown) =>
  b.handle({
    method: "POST",
    path: "/api/admin/revocations",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const editor = (sub: string, extra: Record<string, unknown> = {}) =>
  keys.sign({ aud: "api://broker", sub, tid: "contoso", roles: ["editor"], ...extra });

let deny: Broker;
let responderToken: string;

beforeAll(async () => {
  keys = await new KeyServer().start();
  keys.keys = [await makeKey("k1")];
  await Promise.all([redis.start(), double.start()]);
  deny = await brokerWith("deny");
  responderToken = await keys.sign({
    aud: "api://broker",
    sub: "responder-1",
    tid: "ops",
    roles: ["incident-responder"],
  });
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await Promise.all([redis.stop(), double.stop(), keys.stop()]);
});

it("lets only the policy's admin roles revoke, and refuses malformed requests precisely", async () => {
  const notAdmin = await revoke(deny, await editor("eve"), { subject: "bob" });
  expect(notAdmin.status).toBe(403);
  for (const body of [
    {},
    { subject: "a", jti: "b" },
    { jti: "x", issuer: "idp" },
    { subject: "a", issuer: "nope" },
    { subject: "" },
    { subject: "a", extra: 1 },
  ]) {
    const r = await revoke(deny, responderToken, body);
    expect([r.status, r.headers["content-type"]]).toEqual([400, "application/problem+json"]);
  }
  expect(audit.some((r) => r.event === "denied" && r.type === "revocation" && r.reason === "not-admin")).toBe(true);
});

it("refuses a revoked subject within the staleness bound, cached verification included, and deletes its Cosmos metadata", async () => {
  const token = await editor("mallory");
  const first = await exchange(deny, token, [{ type: "cosmos", container: "items" }]);
  expect(first.status).toBe(200); // the verification is now cached
  const mallorys = () => double.userIds().filter((id) => id.startsWith(cosmosUserPrefix("idp", "mallory")));
  expect(mallorys()).toHaveLength(1);
  const r = await revoke(deny, responderToken, { subject: "mallory", reason: "laptop stolen" });
  expect(r.status).toBe(201);
  expect(JSON.parse(r.body)).toMatchObject({ revoked: "subject", cosmos: { permissions: 1, users: 1 } });
  expect(mallorys()).toEqual([]);
  await new Promise((res) => setTimeout(res, 1100)); // the per-instance cache (1 s) has passed
  const after = await exchange(deny, token);
  expect(after.status).toBe(401);
  expect(JSON.parse(after.body).detail).toBe("the token has been revoked");
  expect(after.body).not.toContain("mallory");
  // A fresh token for the same subject is refused too; another subject is not.
  expect((await exchange(deny, await editor("mallory"))).status).toBe(401);
  expect((await exchange(deny, await editor("alice"))).status).toBe(200);
  const record = audit.find((a) => a.event === "revoked")!;
  expect(record).toMatchObject({
    event: "revoked",
    type: "subject",
    subject: "mallory",
    by: "idp|responder-1",
    reason: "laptop stolen",
    policy: expect.stringMatching(/^sha256:/),
  });
  // The entry lives maxTokenLifetime (1h) + the 5 min tolerance ceiling, counted from the revocation (just before `at`).
  const lifetime = Date.parse(record.expiresAt!) - Date.parse(record.at);
  expect(lifetime).toBeLessThanOrEqual(3600_000 + 300_000);
  expect(lifetime).toBeGreaterThan(3600_000 + 300_000 - 2000);
});

it("revokes one token by jti and leaves the subject's other tokens alone", async () => {
  const stolen = await editor("carol", { jti: "jti-stolen-1" });
  const other = await editor("carol", { jti: "jti-other-2" });
  expect((await revoke(deny, responderToken, { jti: "jti-stolen-1" })).status).toBe(201);
  expect((await exchange(deny, stolen)).status).toBe(401);
  expect((await exchange(deny, other)).status).toBe(200);
});

it("refuses tokens that live longer than maxTokenLifetime (an entry could expire before them)", async () => {
  const now = Math.floor(Date.now() / 1000);
  const long = await keys.sign(
    { aud: "api://broker", sub: "dave", tid: "contoso", roles: ["editor"] },
    { iat: now, exp: now + 7200 },
  );
  const r = await exchange(deny, long);
  expect(r.status).toBe(401);
  expect(JSON.parse(r.body).detail).toMatch(/lives longer/);
});

it("health says only ok or degraded (never the store or onStoreDown), degraded while the store is down; deny fails closed, allow open", async () => {
  const allow = await brokerWith("allow");
  const health = async (b: Broker) => (await b.handle({ method: "GET", path: "/api/health", headers: {} })).body;
  expect([await health(deny), await health(allow)]).toEqual(['{"status":"ok"}', '{"status":"ok"}']);
  await redis.stop();
  try {
    const [d, a] = await Promise.all([exchange(deny, await editor("frank")), exchange(allow, await editor("frank"))]);
    expect([d.status, d.headers["retry-after"]]).toEqual([503, "5"]);
    expect(a.status).toBe(200);
    // The deny instance cannot issue: health must say so (the store is pinged at most every 2 s).
    const until = Date.now() + 5000;
    while (Date.now() < until && (await health(deny)) !== '{"status":"degraded"}')
      await new Promise((r) => setTimeout(r, 200));
    expect([await health(deny), await health(allow)]).toEqual(['{"status":"degraded"}', '{"status":"degraded"}']);
  } finally {
    await redis.start();
  }
  const deadline = Date.now() + 5000;
  let back = 0;
  while (Date.now() < deadline && (back = (await exchange(deny, await editor("frank"))).status) !== 200)
    await new Promise((r) => setTimeout(r, 100));
  expect(back).toBe(200);
});
