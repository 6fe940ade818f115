/**
 * The broker's fast paths for a fresh exchange (issue 17: the synchronous verifier, the verified-token cache with
 * admission on second sight, the remembered compact-form and content-type checks, the answer's JSON written in
 * parts) answer as a broker with nothing cached does: one long-lived broker and, for every request, a brand-new
 * broker with a new verifier and minter see the same random sequence of requests; status, headers, body and audit
 * records must agree, apart from what is minted fresh each time (the Fluid token, its jti and lifetime stamps).
 */
import fc from "fast-check";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import type { RuntimeConfig } from "../../lib/policy/runtime/runtime-config";
import type { AuditRecord } from "../../functions-src/audit";
import { createBroker, type BrokerRequest } from "../../functions-src/core";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    claims: { sub: { type: string }, roles: { type: "string[]" } }
resources: { fluid: {}, cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "doc-*", scopes: [doc:read, doc:write], ttl: 1h }
environments: { dev: { stage: development } }
`;

let server: KeyServer;
let config: RuntimeConfig;
let tokens: string[];
const fluidSettings = () => ({
  tenantId: "t1",
  endpoint: "http://127.0.0.1:1",
  key1: "identity-test-key",
  key2: "identity-test-key",
  active: "key1" as const,
});

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
  const impostor = await makeKey("k1");
  config = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev").config;
  const editor = (sub: string) => ({ sub, roles: ["editor"], aud: "api://broker" });
  tokens = [
    ...(await Promise.all(['alice "the" editor', "bob\u00e9\u{1F600}", "carol\\"].map((s) => server.sign(editor(s))))),
    await server.sign({ sub: "dave", roles: ["viewer"], aud: "api://broker" }), // no role: 403
    await server.sign(editor("erin"), { exp: Math.floor(Date.now() / 1000) - 3600 }), // expired: 401
    await server.sign(editor("mallory"), { key: impostor }), // forged: 401
  ];
});
afterAll(() => server.stop());

const bodies = [
  JSON.stringify({ requests: [{ type: "fluid", documentId: "doc-1" }] }),
  JSON.stringify({
    requests: [
      { type: "fluid", documentId: "doc-2" },
      { type: "cosmos", container: "items" },
    ],
  }),
  JSON.stringify({ requests: [{ type: "fluid", documentId: "other" }] }), // denied by the policy: 403
  '{"requests": [',
  JSON.stringify({ requests: [{ type: "fax" }] }),
];
const contentTypes = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/json;charset=latin1",
];

function brokerWithLog(): { handle: (r: BrokerRequest) => Promise<unknown>; log: AuditRecord[] } {
  const log: AuditRecord[] = [];
  const broker = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: { fluid: createFluidMinter(fluidSettings) },
    audit: (r) => log.push(r),
  });
  return { handle: (r) => broker.handle(r), log };
}

/** What is minted fresh per call (the Fluid JWT, its jti, the time stamps) replaced by a mark; the rest as is. */
function stable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) =>
    ["token", "jti", "at", "expiresAt"].includes(key) && typeof v === "string" ? `<${key}>` : v,
  );
}

describe("a fresh exchange through the fast paths", () => {
  it("answers and audits as a broker with nothing cached (fast-check)", async () => {
    const step = fc.record({
      token: fc.nat({ max: 6 }),
      body: fc.nat({ max: bodies.length - 1 }),
      contentType: fc.nat({ max: contentTypes.length - 1 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const fast = brokerWithLog();
        for (const s of steps) {
          const auth = s.token === 6 ? "Bearer not.a-token" : `Bearer ${tokens[s.token]}`;
          const request: BrokerRequest = {
            method: "POST",
            path: "/api/token",
            headers: { authorization: auth, "content-type": contentTypes[s.contentType] },
            body: bodies[s.body],
          };
          const slow = brokerWithLog();
          const expected = (await slow.handle(request)) as { status: number; body: string };
          const before = fast.log.length;
          const actual = (await fast.handle(request)) as { status: number; body: string };
          expect(stable({ ...actual, body: JSON.parse(actual.body) })).toEqual(
            stable({ ...expected, body: JSON.parse(expected.body) }),
          );
          expect(stable(fast.log.slice(before))).toEqual(stable(slow.log));
          // The answer's text is exactly JSON.stringify of what it says (key order and escaping included).
          expect(JSON.stringify(JSON.parse(actual.body))).toBe(actual.body);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("answers a repeated exchange with the same text each time (a credential's JSON is kept from its second answer)", async () => {
    const { handle } = brokerWithLog();
    const request: BrokerRequest = {
      method: "POST",
      path: "/api/token",
      headers: { authorization: `Bearer ${tokens[1]}`, "content-type": "application/json" },
      body: bodies[1],
    };
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(((await handle(request)) as { body: string }).body);
    expect(new Set(answers).size).toBe(1);
    expect(JSON.stringify(JSON.parse(answers[0]))).toBe(answers[0]);
    expect(JSON.parse(answers[0]).credentials).toHaveLength(1);
  });

  it("judges each content type afresh, whatever came before (the last answer is reused only for the same text)", async () => {
    const { handle } = brokerWithLog();
    const statuses: number[] = [];
    for (const type of [0, 2, 0, 3, 1, 2, 2, 0]) {
      const request: BrokerRequest = {
        method: "POST",
        path: "/api/token",
        headers: { authorization: `Bearer ${tokens[0]}`, "content-type": contentTypes[type] },
        body: bodies[0],
      };
      statuses.push(((await handle(request)) as { status: number }).status);
    }
    expect(statuses).toEqual([200, 415, 200, 415, 200, 415, 415, 200]);
  });
});
