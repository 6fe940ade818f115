/**
 * The broker's own CORS (functions-src/cors.ts), from the origins an environment lists, over real HTTP (node:http
 * adapter) and through the registered Azure Functions handler with real @azure/functions request objects.
 */
import { HttpRequest, InvocationContext, type HttpHandler } from "@azure/functions";
import { registerBrokerFunctions } from "../../functions-src/adapters/azure-functions";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker, type Broker } from "../../functions-src/core";
import { createCors, PREFLIGHT_MAX_AGE_SECONDS } from "../../functions-src/cors";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const issuer = new KeyServer();
let core: Broker;
let http: Awaited<ReturnType<typeof startNodeHttpBroker>>;
const ALLOWED = "https://app.contoso.com";
const DEV_PAGE = "http://localhost:5173";

const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: {} }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants: [{ fluid: { documents: "*", scopes: [doc:read], ttl: 10m } }]
environments:
  dev: { stage: development, allowedOrigins: ["${ALLOWED}", "http://localhost:*"] }
  prod: { stage: production, allowedOrigins: ["${ALLOWED}"] }
`;

beforeAll(async () => {
  await issuer.start();
  issuer.keys = [await makeKey("k1")];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
  expect(config.cors).toEqual({ allowedOrigins: [ALLOWED, "http://localhost:*"] });
  core = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: {
      fluid: createFluidMinter(() => ({
        tenantId: "t",
        endpoint: "http://127.0.0.1:1",
        key1: "k1-secret",
        key2: "k2-secret",
        active: "key1",
      })),
    },
  });
  http = await startNodeHttpBroker(core);
});
afterAll(async () => {
  await http?.close();
  await issuer.stop();
});

const preflight = (origin: string, extra: Record<string, string> = {}) =>
  fetch(`${http.url}/api/token`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
      ...extra,
    },
  });
const post = async (origin: string | undefined, token?: string) =>
  fetch(`${http.url}/api/token`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(origin && { origin }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ requests: [{ type: "fluid", documentId: "d1" }] }),
  });
const corsHeaders = (r: Response) =>
  Object.fromEntries([...r.headers].filter(([k]) => k.startsWith("access-control-")));

it("answers a preflight from an allowed origin: POST, Authorization + Content-Type, bounded max-age", async () => {
  const r = await preflight(ALLOWED);
  expect(r.status).toBe(204);
  expect(corsHeaders(r)).toEqual({
    "access-control-allow-origin": ALLOWED,
    "access-control-allow-methods": "POST",
    "access-control-allow-headers": "Authorization, Content-Type",
    "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
  });
  expect(PREFLIGHT_MAX_AGE_SECONDS).toBeLessThanOrEqual(7200);
  expect(r.headers.get("vary")).toMatch(/Origin/);
  expect(r.headers.get("access-control-allow-credentials")).toBeNull();
});

it("matches a development port pattern on loopback only", async () => {
  expect(corsHeaders(await preflight(DEV_PAGE))["access-control-allow-origin"]).toBe(DEV_PAGE);
  expect(corsHeaders(await preflight("http://localhost.evil.com:5173"))).toEqual({});
  expect(corsHeaders(await preflight("https://localhost:5173"))).toEqual({});
});

it("gives a disallowed origin no CORS headers at all, on preflights and answers", async () => {
  for (const origin of [
    "https://evil.example",
    "https://app.contoso.com.evil.example",
    "null",
    "https://APP.contoso.com",
  ]) {
    expect(corsHeaders(await preflight(origin))).toEqual({});
    const r = await post(origin, await issuer.sign({ sub: "u1", roles: ["editor"], aud: "api://broker" }));
    expect(r.status).toBe(200); // CORS is the browser's check: the server answers, the page cannot read it
    expect(corsHeaders(r)).toEqual({});
    expect(r.headers.get("vary")).toMatch(/Origin/);
  }
});

it("refuses in the preflight a method or header the broker does not take", async () => {
  expect(corsHeaders(await preflight(ALLOWED, { "access-control-request-method": "PUT" }))).toEqual({});
  expect(
    corsHeaders(await preflight(ALLOWED, { "access-control-request-headers": "authorization,x-ms-client-principal" })),
  ).toEqual({});
});

it("adds CORS headers to granted answers and to problem+json errors alike, exposing Retry-After and WWW-Authenticate", async () => {
  const ok = await post(ALLOWED, await issuer.sign({ sub: "u1", roles: ["editor"], aud: "api://broker" }));
  expect(ok.status).toBe(200);
  expect(corsHeaders(ok)).toEqual({
    "access-control-allow-origin": ALLOWED,
    "access-control-expose-headers": "Retry-After, WWW-Authenticate",
  });
  for (const [token, status] of [
    [undefined, 401],
    [await issuer.sign({ sub: "u2", roles: [], aud: "api://broker" }), 403],
  ] as const) {
    const r = await post(ALLOWED, token);
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(corsHeaders(r)["access-control-allow-origin"]).toBe(ALLOWED);
  }
});

it("a request without Origin (not a browser's cross-origin call) is unchanged apart from Vary", async () => {
  const r = await post(undefined, await issuer.sign({ sub: "u1", roles: ["editor"], aud: "api://broker" }));
  expect(r.status).toBe(200);
  expect(corsHeaders(r)).toEqual({});
});

it("the Azure Functions handler registers OPTIONS and answers the preflight the same way", async () => {
  const handlers = new Map<string, HttpHandler>();
  registerBrokerFunctions({ http: (name, o) => void handlers.set(name, o.handler) }, () => core);
  const request = new HttpRequest({
    method: "OPTIONS",
    url: "https://func.example/api/token",
    headers: {
      origin: ALLOWED,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });
  const response = await handlers.get("token")!(
    request,
    new InvocationContext({ invocationId: "cors", functionName: "token" }),
  );
  expect(response.status).toBe(204);
  expect((response.headers as Record<string, string>)["access-control-allow-origin"]).toBe(ALLOWED);
});

it("an environment with no origins answers no one", () => {
  const none = createCors([]);
  expect(none.allows(ALLOWED)).toBe(false);
  expect(
    none.preflight({
      method: "OPTIONS",
      path: "/api/token",
      headers: { origin: ALLOWED, "access-control-request-method": "POST" },
    })?.headers["access-control-allow-origin"],
  ).toBeUndefined();
});
