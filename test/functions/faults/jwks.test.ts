/**
 * Faults at the issuer's key endpoint, against a real HTTP key server: down, slow past the fetch timeout, serving
 * garbage; a flood of unknown kids; the issuer rotating its key. Time is the subject, so the broker's clock is
 * injected (no sleeps): what the caller sees and what the audit log records, each step.
 */
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { KeyServer, makeKey, type TestKey } from "../../support/key-server";
import { brokerFor, FLUID } from "./helpers";

let server: KeyServer;
let k1: TestKey;
const fluid = createFluidMinter(() => FLUID);
const editor = (sub: string, key?: TestKey, iat?: number) =>
  server.sign(
    { sub, roles: ["editor"], aud: "api://broker" },
    { key, ...(iat !== undefined && { iat, exp: iat + 3600 }) },
  );

beforeAll(async () => {
  server = await new KeyServer().start();
  k1 = await makeKey("k1");
});
afterAll(() => server.stop());
beforeEach(() => {
  server.keys = [k1];
  server.down = false;
  server.garbage = false;
  server.delayMs = 0;
});

describe.each([
  ["down (503)", () => void (server.down = true)],
  ["serving garbage (200, not a JWKS)", () => void (server.garbage = true)],
  ["slow (answers after the 1 s fetch timeout)", () => void (server.delayMs = 2500)],
])("JWKS endpoint %s", (_name, breakIt) => {
  it("known kids keep verifying from the cached keys; new callers get credentials; recovery is automatic", async () => {
    let now = Date.now();
    const { exchange, audit, verifier } = brokerFor(
      server.issuer,
      { fluid },
      { now: () => now, verifierOptions: { now: () => now, cacheSeconds: 60, cooldownSeconds: 30, timeoutMs: 1000 } },
    );
    expect((await exchange(await editor("before"))).status).toBe(200);
    breakIt();
    now += 120_000; // the key cache is stale: a refresh is due, and it fails
    const during = await exchange(await editor("during", k1, Math.floor(now / 1000)));
    expect(during.status).toBe(200);
    expect(during.body.credentials).toHaveLength(1);
    expect(audit.filter((r) => r.event === "rejected")).toEqual([]);
    expect(audit.filter((r) => r.event === "issued").map((r) => r.subject)).toEqual(["before", "during"]);
    // Within the cool-down, no further fetch is attempted however many callers come.
    const fetches = verifier.fetchCount(server.issuer);
    for (let i = 0; i < 5; i++)
      expect((await exchange(await editor(`burst-${i}`, k1, Math.floor(now / 1000)))).status).toBe(200);
    expect(verifier.fetchCount(server.issuer)).toBe(fetches);

    // The endpoint comes back: after the cool-down the next request refreshes, without anyone restarting anything.
    server.down = server.garbage = false;
    server.delayMs = 0;
    const k2 = await makeKey("k2");
    server.keys = [k1, k2];
    now += 31_000;
    expect((await exchange(await editor("after", k2, Math.floor(now / 1000)))).status).toBe(200);
    expect(verifier.fetchCount(server.issuer)).toBe(fetches + 1);
  }, 20_000);

  it("a broker that never had the keys answers 503 + Retry-After and audits the rejection", async () => {
    breakIt();
    const { exchange, audit } = brokerFor(server.issuer, { fluid }, { verifierOptions: { timeoutMs: 1000 } });
    const r = await exchange(await editor("cold"));
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBe("30");
    expect(r.body.type).toBe("urn:azure-token-broker:problem:backend-unavailable");
    expect(audit).toEqual([expect.objectContaining({ event: "rejected", reason: "ERR_KEYS_UNAVAILABLE" })]);
    expect(JSON.stringify(audit)).not.toContain("cold");
  }, 20_000);
});

it("a flood of unknown kids causes at most one JWKS fetch per cool-down", async () => {
  let now = Date.now();
  const { exchange, audit } = brokerFor(
    server.issuer,
    { fluid },
    { now: () => now, verifierOptions: { now: () => now, cooldownSeconds: 30 } },
  );
  expect((await exchange(await editor("first"))).status).toBe(200);
  const before = server.jwksRequests;
  const forger = await makeKey("forged");
  const forged = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      server.sign({ sub: `f${i}`, roles: ["editor"], aud: "api://broker" }, { key: { ...forger, kid: `forged-${i}` } }),
    ),
  );
  // 20 forged kids at once, then 20 more over 25 s (inside the cool-down): nothing fetched.
  const answers = await Promise.all(forged.map((t) => exchange(t)));
  for (let i = 0; i < 20; i++) {
    now += 1_250;
    answers.push(await exchange(forged[i]));
  }
  expect(answers.every((a) => a.status === 401)).toBe(true);
  expect(server.jwksRequests - before).toBe(0);
  // Past the cool-down: the next unknown kid may fetch once, the rest of the flood again not.
  now += 10_000;
  await Promise.all(forged.map((t) => exchange(t)));
  expect(server.jwksRequests - before).toBe(1);
  expect(audit.filter((r) => r.event === "rejected").every((r) => r.reason === "ERR_TOKEN_SIGNATURE")).toBe(true);
  expect(audit.filter((r) => r.event === "rejected")).toHaveLength(60);
});

it("issuer key rotation: new tokens verify within one cool-down, tokens of the old key until they expire", async () => {
  let now = Date.now();
  const { exchange } = brokerFor(
    server.issuer,
    { fluid },
    { now: () => now, verifierOptions: { now: () => now, cooldownSeconds: 30 } },
  );
  const old = await editor("old-key");
  expect((await exchange(old)).status).toBe(200);
  const k2 = await makeKey("k2");
  server.keys = [k2, k1]; // the issuer publishes k2 and still k1, and signs with k2
  const fresh = await editor("new-key", k2);
  // Inside the cool-down of the last fetch the new kid is unknown: refused, and no fetch storm.
  now += 5_000;
  expect((await exchange(fresh)).status).toBe(401);
  now += 30_000;
  expect((await exchange(fresh)).status).toBe(200);
  expect((await exchange(await editor("old-key-2"))).status).toBe(200);
  // The issuer retires k1: tokens signed with it keep working from the broker's verified-token cache until they expire...
  server.keys = [k2];
  expect((await exchange(old)).status).toBe(200);
  // ...and not after (exp 600 s + 30 s tolerance).
  now += 700_000;
  const late = await exchange(old);
  expect(late.status).toBe(401);
});

it("a connection the issuer drops before answering is retried once, on a new connection; twice in a row is a 503", async () => {
  const cold = () => brokerFor(server.issuer, { fluid }, { verifierOptions: { timeoutMs: 5000 } });
  // Discovery's connection goes away unanswered (as a reused keep-alive socket the server had just closed).
  server.dropNext = 1;
  const before = server.requests;
  const once = cold();
  expect((await once.exchange(await editor("dropped-once"))).status).toBe(200);
  expect(server.requests - before).toBe(3); // discovery twice, then the JWKS
  expect(once.verifier.fetchCount(server.issuer)).toBe(3);

  server.dropNext = 2;
  const twice = cold();
  const r = await twice.exchange(await editor("dropped-twice"));
  expect(r.status).toBe(503);
  expect(r.body.type).toBe("urn:azure-token-broker:problem:backend-unavailable");
  expect(twice.verifier.fetchCount(server.issuer)).toBe(2);
}, 20_000);
