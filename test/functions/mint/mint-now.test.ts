/**
 * The synchronous mint path (issue 17): a broker whose Fluid minter offers `mintNow` answers, audits and moves its
 * circuit breaker exactly as one whose minter offers only the asynchronous `mint`, through random sequences of
 * healthy and failing backends (a secret that does not resolve, a backend that is down, a bug) and a moving clock.
 */
import fc from "fast-check";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import type { RuntimeConfig } from "../../../lib/policy/runtime/runtime-config";
import type { AuditRecord } from "../../../functions-src/audit";
import { createBroker, type BrokerRequest } from "../../../functions-src/core";
import { BackendUnavailableError, SecretUnavailableError } from "../../../functions-src/errors";
import { CircuitBreaker } from "../../../functions-src/mint/circuit-breaker";
import { createFluidMinter, type FluidSettings } from "../../../functions-src/mint/fluid-minter";
import type { Minter } from "../../../functions-src/mint/minter";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey } from "../../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${issuer}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: {} }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "doc-*", scopes: [doc:read, doc:write], ttl: 1h }
environments: { dev: { stage: development } }
`;

type Health = "ok" | "secret" | "down" | "bug";
const FLUID: FluidSettings = { tenantId: "t1", endpoint: "http://127.0.0.1:1", key1: "k", key2: "k", active: "key1" };

let server: KeyServer;
let config: RuntimeConfig;
let tokens: string[];

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
  config = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev").config;
  tokens = await Promise.all(
    ["alice", "bob"].map((sub) => server.sign({ sub, roles: ["editor"], aud: "api://broker" })),
  );
});
afterAll(() => server.stop());

function broker(clock: { now: number }, health: { now: Health }, sync: boolean) {
  const settings = (): FluidSettings => {
    if (health.now === "secret") throw new SecretUnavailableError("FLUID_KEY1");
    if (health.now === "down") throw new BackendUnavailableError("fluid", 7);
    if (health.now === "bug") throw new TypeError("a bug");
    return FLUID;
  };
  const fluid = createFluidMinter(settings);
  // The asynchronous path alone: the same minter without `mintNow`.
  const minter: Minter<"fluid"> = sync ? fluid : { mint: fluid.mint, probe: fluid.probe };
  const log: AuditRecord[] = [];
  const core = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: { fluid: minter },
    audit: (r) => log.push(r),
    breakers: { failureThreshold: 2, openSeconds: 5, now: () => clock.now },
    now: () => clock.now,
  });
  return { core, log };
}

/** The Fluid JWT and its jti are minted fresh by each broker: replaced by a mark. */
const stable = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, v: unknown) =>
    ["token", "jti"].includes(key) && typeof v === "string" ? `<${key}>` : v,
  );

describe("minting in place (mintNow)", () => {
  it("answers, audits and trips the breaker as the asynchronous path does (fast-check)", async () => {
    const step = fc.record({
      token: fc.nat({ max: tokens.length - 1 }),
      health: fc.constantFrom<Health>("ok", "ok", "secret", "down", "down", "bug"),
      seconds: fc.nat({ max: 4 }),
      documents: fc.constantFrom(["doc-1"], ["doc-1", "doc-2"], ["other"]),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 15 }), async (steps) => {
        const clock = { now: Date.UTC(2026, 0, 1) };
        const health = { now: "ok" as Health };
        const fast = broker(clock, health, true);
        const slow = broker(clock, health, false);
        for (const s of steps) {
          clock.now += s.seconds * 1000;
          health.now = s.health;
          const request: BrokerRequest = {
            method: "POST",
            path: "/api/token",
            headers: { authorization: `Bearer ${tokens[s.token]}`, "content-type": "application/json" },
            body: JSON.stringify({ requests: s.documents.map((documentId) => ({ type: "fluid", documentId })) }),
          };
          const expected = await slow.core.handle(request);
          const actual = await fast.core.handle(request);
          expect(stable({ ...actual, body: JSON.parse(actual.body) })).toEqual(
            stable({ ...expected, body: JSON.parse(expected.body) }),
          );
          expect(stable(fast.log)).toEqual(stable(slow.log));
          expect(fast.core.backendStates()).toEqual(slow.core.backendStates());
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("CircuitBreaker.callNow", () => {
  it("moves through the same states and answers as call (fast-check)", async () => {
    const outcome = fc.constantFrom("ok", "down", "bug");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(outcome, fc.nat({ max: 3 })), { maxLength: 25 }), async (calls) => {
        const clock = { now: 0 };
        const options = { failureThreshold: 2, openSeconds: 2, timeoutMs: 0, now: () => clock.now };
        const changes: [string, string][] = [];
        const onStateChange = (backend: string, state: string) => changes.push([backend, state]);
        const nowBreaker = new CircuitBreaker("now", { ...options, onStateChange });
        const asyncBreaker = new CircuitBreaker("async", { ...options, onStateChange });
        const work = (o: string) => {
          if (o === "down") throw new BackendUnavailableError("x", 3);
          if (o === "bug") throw new TypeError("bug");
          return o;
        };
        const settle = async (f: () => unknown) => {
          try {
            return { value: await f() };
          } catch (e) {
            return { error: (e as Error).name, retry: (e as BackendUnavailableError).retryAfterSeconds };
          }
        };
        for (const [o, seconds] of calls) {
          clock.now += seconds * 1000;
          const a = await settle(() => nowBreaker.callNow(work, o, undefined));
          const b = await settle(() => asyncBreaker.call(async () => work(o)));
          expect(a).toEqual(b);
          expect(nowBreaker.current).toBe(asyncBreaker.current);
        }
        expect(changes.filter(([b]) => b === "now").map(([, s]) => s)).toEqual(
          changes.filter(([b]) => b === "async").map(([, s]) => s),
        );
      }),
      { numRuns: 100 },
    );
  });
});
