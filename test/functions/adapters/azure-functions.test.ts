/** The Azure Functions v4 adapter: what it registers, and the registered handlers called with real HttpRequest/InvocationContext. */
import { HttpRequest, InvocationContext, type HttpHandler } from "@azure/functions";
import { jwtVerify } from "jose";
import { registerBrokerFunctions, type HttpRegistrar } from "../../../functions-src/adapters/azure-functions";
import { createBroker } from "../../../functions-src/core";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey } from "../../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${issuer}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: {} }
roles:
  writer:
    when: { claim: roles, contains: writer }
    grants: [{ fluid: { documents: "*", create: true, scopes: [doc:read, doc:write, summary:write], ttl: 1h } }]
environments: { dev: { stage: development } }
`;

let server: KeyServer;
const registered = new Map<string, { methods: string[]; route: string; authLevel: string; handler: HttpHandler }>();

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev");
  const broker = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: {
      fluid: createFluidMinter(() => ({
        tenantId: "t",
        endpoint: "https://fluid.example",
        key1: "k-one",
        key2: "k-two",
        active: "key1",
      })),
    },
  });
  const recorder: HttpRegistrar = { http: (name, options) => void registered.set(name, options) };
  registerBrokerFunctions(recorder, () => broker);
});
afterAll(() => server.stop());

const context = () => new InvocationContext({ invocationId: "test-invocation", functionName: "token" });

it("registers POST (+ OPTIONS for CORS preflights) /api/token and /api/fluid/documents and GET /api/health, anonymous at the Functions level", () => {
  expect([...registered.entries()].map(([name, o]) => [name, o.methods, o.route, o.authLevel])).toEqual([
    ["token", ["POST", "OPTIONS"], "token", "anonymous"],
    ["fluidDocuments", ["POST", "OPTIONS"], "fluid/documents", "anonymous"],
    ["health", ["GET"], "health", "anonymous"],
  ]);
});

it("mints a creation token through the registered handler", async () => {
  const token = await server.sign({ sub: "w1", roles: ["writer"], aud: "api://broker" });
  const request = new HttpRequest({
    method: "POST",
    url: "https://func-docs-dev.azurewebsites.net/api/token",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-ms-client-principal-id": "w1" },
    body: { string: JSON.stringify({ requests: [{ type: "fluid", create: true }] }) },
  });
  const response = await registered.get("token")!.handler(request, context());
  expect(response.status).toBe(200);
  const body = JSON.parse(String(response.body));
  expect(body.credentials[0]).toMatchObject({
    type: "fluid",
    documentId: "",
    scopes: ["doc:read", "doc:write", "summary:write"],
  });
  const { payload } = await jwtVerify(body.credentials[0].token, new TextEncoder().encode("k-one"));
  expect(payload).toMatchObject({ documentId: "", user: { id: "w1" } });
});

it("refuses a request whose Easy Auth principal disagrees with the token, and answers problem+json", async () => {
  const token = await server.sign({ sub: "w1", roles: ["writer"], aud: "api://broker" });
  const request = new HttpRequest({
    method: "POST",
    url: "https://func-docs-dev.azurewebsites.net/api/token",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "x-ms-client-principal-id": "someone-else",
    },
    body: { string: JSON.stringify({ requests: [{ type: "fluid", create: true }] }) },
  });
  const response = await registered.get("token")!.handler(request, context());
  expect(response.status).toBe(401);
  expect((response.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
  expect((response.headers as Record<string, string>)["www-authenticate"]).toBe('Bearer error="invalid_token"');
});

it("refuses an oversized body by its declared length without reading it", async () => {
  const request = new HttpRequest({
    method: "POST",
    url: "https://x.example/api/token",
    headers: { "content-length": "999999", "content-type": "application/json" },
    body: { string: "{}" },
  });
  expect((await registered.get("token")!.handler(request, context())).status).toBe(413);
});

it("answers the health check", async () => {
  const response = await registered
    .get("health")!
    .handler(new HttpRequest({ method: "GET", url: "https://x.example/api/health" }), context());
  expect([response.status, JSON.parse(String(response.body))]).toEqual([200, { status: "ok" }]);
});
