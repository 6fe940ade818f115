/**
 * Hostile requests through both adapters (node:http on 127.0.0.1 and the Azure Functions handler with real
 * HttpRequest objects): two Authorization headers, and an Easy Auth principal that disagrees with the token. Both are
 * refused before the policy is evaluated (no audit record of a decision, no credential).
 */
import { connect } from "node:net";
import { HttpRequest, InvocationContext, type HttpHandler } from "@azure/functions";
import fc from "fast-check";
import type { AuditRecord } from "../../functions-src/audit";
import { registerBrokerFunctions, type HttpRegistrar } from "../../functions-src/adapters/azure-functions";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker } from "../../functions-src/core";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${issuer}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: {} }
roles:
  writer:
    when: { claim: roles, contains: writer }
    grants: [{ fluid: { documents: "*", create: true, scopes: [doc:read, doc:write], ttl: 10m } }]
environments: { dev: { stage: development } }
`;

let server: KeyServer;
let http: Awaited<ReturnType<typeof startNodeHttpBroker>>;
let functionsHandler: HttpHandler;
const audit: AuditRecord[] = [];
const body = JSON.stringify({ requests: [{ type: "fluid", create: true }] });

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev");
  const fluid = createFluidMinter(() => ({
    tenantId: "t",
    endpoint: "https://fluid.example",
    key1: "k-one",
    key2: "k-two",
    active: "key1",
  }));
  const broker = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: { fluid },
    audit: (r) => audit.push(r),
  });
  http = await startNodeHttpBroker(broker);
  const recorder: HttpRegistrar = { http: (name, o) => void (name === "token" && (functionsHandler = o.handler)) };
  registerBrokerFunctions(recorder, () => broker);
});
afterAll(async () => {
  await http.close();
  await server.stop();
});

/** A raw HTTP/1.1 request, so headers can repeat exactly as a client sent them. */
function rawPost(headers: [string, string][]): Promise<{ status: number; text: string }> {
  const { port } = new URL(http.url);
  const lines = [
    `POST /api/token HTTP/1.1`,
    `Host: 127.0.0.1`,
    `Content-Type: application/json`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `Connection: close`,
  ];
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`));
    let text = "";
    socket
      .on("data", (c) => (text += c))
      .on("end", () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), text }))
      .on("error", reject);
  });
}

async function viaFunctions(headers: [string, string][]) {
  const request = new HttpRequest({
    method: "POST",
    url: "https://func.example/api/token",
    headers: [["content-type", "application/json"], ...headers] as unknown as Record<string, string>,
    body: { string: body },
  });
  const response = await functionsHandler(request, new InvocationContext({ invocationId: "i", functionName: "token" }));
  return { status: response.status as number, text: String(response.body) };
}

const decisions = () => audit.filter((r) => r.event === "issued" || r.event === "denied").length;

describe("issue 7.5 hostile requests: two Authorization headers, a disagreeing Easy Auth principal", () => {
  it("node:http: two Authorization headers are refused with 400, whichever comes first", async () => {
    const writer = await server.sign({ sub: "w1", roles: ["writer"], aud: "api://broker" });
    const other = await server.sign({ sub: "w2", roles: [], aud: "api://broker" });
    expect((await rawPost([["Authorization", `Bearer ${writer}`]])).status).toBe(200);
    const before = decisions();
    for (const pair of [
      [writer, other],
      [other, writer],
      [writer, writer],
    ]) {
      const answer = await rawPost(pair.map((t) => ["Authorization", `Bearer ${t}`] as [string, string]));
      expect(answer.status).toBe(400);
      expect(answer.text).toContain("exactly one Authorization header");
      expect(answer.text).not.toContain(writer.slice(0, 30));
    }
    expect(decisions()).toBe(before);
  });

  it("Azure Functions: two Authorization headers (joined with a comma by the host) are refused with 400", async () => {
    const writer = await server.sign({ sub: "w1", roles: ["writer"], aud: "api://broker" });
    expect((await viaFunctions([["authorization", `Bearer ${writer}`]])).status).toBe(200);
    const answer = await viaFunctions([
      ["authorization", `Bearer ${writer}`],
      ["authorization", `Bearer ${writer}`],
    ]);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain("exactly one Authorization header");
    // The Functions host itself joins repeats with "," (no space): the same refusal.
    expect((await viaFunctions([["authorization", `Bearer ${writer},Bearer ${writer}`]])).status).toBe(400);
  });

  it("both adapters: a principal naming another user gets 401 before evaluation, with or without a matching -ID", async () => {
    const writer = await server.sign({ sub: "w1", roles: ["writer"], aud: "api://broker" });
    const mallory = Buffer.from(JSON.stringify({ auth_typ: "idp", claims: [{ typ: "sub", val: "mallory" }] })).toString(
      "base64",
    );
    const before = decisions();
    for (const extra of [[], [["X-MS-CLIENT-PRINCIPAL-ID", "w1"]]] as [string, string][][]) {
      const headers: [string, string][] = [
        ["Authorization", `Bearer ${writer}`],
        ["X-MS-CLIENT-PRINCIPAL", mallory],
        ...extra,
      ];
      for (const answer of [await rawPost(headers), await viaFunctions(headers)]) {
        expect(answer.status).toBe(401);
        expect(answer.text).toContain("X-MS-CLIENT-PRINCIPAL");
        expect(answer.text).not.toContain("mallory");
      }
    }
    expect(decisions()).toBe(before);
    expect(audit.at(-1)).toMatchObject({ event: "rejected", reason: "ERR_EASY_AUTH_MISMATCH" });
  });
});

describe("issue 19.5: a bearer value that is not a compact JWS is an invalid token (401), not a repeated header", () => {
  const b64url = fc
    .base64String({ minLength: 4, maxLength: 40 })
    .map((s) => s.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
  // RFC 7515 section 7.2: the general and the flattened JWS JSON Serialization.
  const jsonJws = fc.oneof(
    fc
      .record({ payload: b64url, protected: b64url, signature: b64url })
      .map(({ payload, ...sig }) => JSON.stringify({ payload, signatures: [sig, sig] })),
    fc.record({ payload: b64url, protected: b64url, signature: b64url }).map((r) => JSON.stringify(r)),
  );
  const printable = fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
  });
  const notCompact = fc.oneof(
    jsonJws,
    // base64url plus one foreign character, or the wrong number of segments
    fc
      .tuple(b64url, fc.constantFrom("~", "+", "/", "=", "!", "{", "$"), b64url)
      .map(([a, c, b]) => `${a}.${b}.${a}${c}`),
    fc
      .array(b64url, { minLength: 1, maxLength: 5 })
      .filter((s) => s.length !== 3)
      .map((s) => s.join(".")),
    printable.filter((s) => !s.includes(",") && !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s)),
  );

  it("node:http and Azure Functions: 401 invalid_token with WWW-Authenticate, nothing echoed, no decision", async () => {
    const before = decisions();
    await fc.assert(
      fc.asyncProperty(notCompact, async (value) => {
        const raw = await rawPost([["Authorization", `Bearer ${value}`]]);
        const fn = await functionsHandler(
          new HttpRequest({
            method: "POST",
            url: "https://func.example/api/token",
            headers: { "content-type": "application/json", authorization: `Bearer ${value}` },
            body: { string: body },
          }),
          new InvocationContext({ invocationId: "i", functionName: "token" }),
        );
        const head = raw.text.slice(0, raw.text.indexOf("\r\n\r\n")).toLowerCase();
        const answers = [
          {
            status: raw.status,
            www: /www-authenticate: (.*)/.exec(head)?.[1],
            body: raw.text.slice(raw.text.indexOf("{"), raw.text.lastIndexOf("}") + 1),
          },
          {
            status: fn.status,
            www: (fn.headers as Record<string, string>)["www-authenticate"]?.toLowerCase(),
            body: String(fn.body),
          },
        ];
        for (const answer of answers) {
          expect(answer.status).toBe(401);
          expect(answer.www).toBe('bearer error="invalid_token"');
          expect(JSON.parse(answer.body).type).toBe("urn:azure-token-broker:problem:invalid-token");
          if (value.length > 8) expect(answer.body).not.toContain(value);
        }
      }),
      { seed: 1905, numRuns: 60 },
    );
    expect(decisions()).toBe(before);
  }, 60_000);
});
