/**
 * Several issuers through the whole broker (real key servers over HTTP, the real verifier and evaluator): tokens of
 * two issuers are both verified with their own keys, a role limited to one issuer is refused to the other's callers,
 * and an Entra issuer admits only its allowed tenants (two tenants here, each with its own issuer endpoint).
 */
import { createBroker, type Broker } from "../../functions-src/core";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import type { RuntimeConfig } from "../../lib/policy/runtime/runtime-config";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const TENANT_A = "6a1b2c3d-0000-4000-8000-0000000000a1";
const TENANT_B = "6a1b2c3d-0000-4000-8000-0000000000b2";
const TENANT_C = "6a1b2c3d-0000-4000-8000-0000000000c3";
// The broker API registration's client id: the `aud` of Entra v2.0 access tokens (and, here, of the partner's).
const API = "6a1b2c3d-0000-4000-8000-0000000000ff";

const policyFor = (partnersIssuer: string) => `version: 1
issuers:
  entra:
    type: entra
    tenants: [${TENANT_A}, ${TENANT_B}]
    audiences: [${API}]
    subject: oid
    requiredClaims: [oid, tid]
    claims: { oid: { type: string }, tid: { type: string }, roles: { type: "string[]" } }
  partners:
    type: oidc
    issuer: ${partnersIssuer}
    audiences: [${API}]
    subject: oid
    claims: { oid: { type: string }, tid: { type: string }, roles: { type: "string[]" } }
resources: { fluid: {} }
roles:
  reader:
    when: { claim: roles, contains: reader }
    grants: [{ fluid: { documents: "*", scopes: [doc:read], ttl: 10m } }]
  staff-writer:
    issuers: [entra]
    when: { claim: roles, contains: writer }
    grants: [{ fluid: { documents: "*", scopes: [doc:read, doc:write], ttl: 10m } }]
environments: { dev: { stage: development } }
`;

const tenantA = new KeyServer();
const tenantB = new KeyServer();
const partners = new KeyServer();
let broker: Broker;

beforeAll(async () => {
  for (const [server, kid] of [
    [tenantA, "a"],
    [tenantB, "b"],
    [partners, "p"],
  ] as const) {
    await server.start();
    server.keys = [await makeKey(kid)];
  }
  const compiled = compilePolicy(loadOk(filesInMemory(policyFor(partners.issuer))), "dev").config;
  // Entra's per-tenant endpoints (login.microsoftonline.com/<tenant>/v2.0) are unreachable here: the two key servers
  // stand in for them, one per allowed tenant, exactly where the compiled issuer lists them.
  const entra = compiled.issuers.find((i) => i.name === "entra")!;
  expect(entra.issuers).toEqual([
    `https://login.microsoftonline.com/${TENANT_A}/v2.0`,
    `https://login.microsoftonline.com/${TENANT_B}/v2.0`,
  ]);
  const config: RuntimeConfig = {
    ...compiled,
    issuers: compiled.issuers.map((i) =>
      i.name === "entra"
        ? {
            ...i,
            issuers: [tenantA.issuer, tenantB.issuer],
            discovery: [tenantA, tenantB].map((t) => `${t.issuer}/.well-known/openid-configuration`),
          }
        : i,
    ),
  };
  const fluid = createFluidMinter(() => ({
    tenantId: "t",
    endpoint: "https://fluid.example",
    key1: "k-one",
    key2: "k-two",
    active: "key1",
  }));
  broker = createBroker({ config, verifier: new TokenVerifier(config), minters: { fluid } });
});
afterAll(() => Promise.all([tenantA.stop(), tenantB.stop(), partners.stop()]));

async function ask(token: string, scopes: "read" | "write") {
  const body = JSON.stringify({
    requests: [
      { type: "fluid", documentId: "doc-1", ...(scopes === "write" && { scopes: ["doc:read", "doc:write"] }) },
    ],
  });
  const res = await broker.handle({
    method: "POST",
    path: "/api/token",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
  return { status: res.status, body: JSON.parse(res.body) };
}
const claims = (tid: string, roles: string[]) => ({ oid: `user-${tid.slice(-2)}`, tid, roles, aud: API });

describe("issue 7.6 two issuers, role-level issuer limits and the Entra tenant check", () => {
  it("verifies tokens of both issuers, each with its own keys, and never with the other's", async () => {
    expect((await ask(await tenantA.sign(claims(TENANT_A, ["reader"])), "read")).status).toBe(200);
    expect((await ask(await partners.sign(claims(TENANT_A, ["reader"])), "read")).status).toBe(200);
    // A partners token signed with tenant A's key: the issuer says partners, the keys say otherwise.
    const forged = await partners.sign(claims(TENANT_A, ["reader"]), { key: tenantA.keys[0] });
    expect((await ask(forged, "read")).status).toBe(401);
  });

  it("grants a role limited to one issuer only to that issuer's callers", async () => {
    const staff = await ask(await tenantA.sign(claims(TENANT_A, ["writer"])), "write");
    expect(staff.status).toBe(200);
    expect(staff.body.roles).toEqual(["staff-writer"]);
    // Same claims from the partners issuer: the role does not apply, nothing else grants it.
    const partner = await ask(await partners.sign(claims(TENANT_A, ["writer"])), "write");
    expect(partner.status).toBe(403);
    expect(partner.body).not.toHaveProperty("roles");
  });

  it("admits both allowed tenants of the Entra issuer and refuses a third tenant", async () => {
    expect((await ask(await tenantA.sign(claims(TENANT_A, ["reader"])), "read")).status).toBe(200);
    expect((await ask(await tenantB.sign(claims(TENANT_B, ["reader"])), "read")).status).toBe(200);
    // A token from an allowed tenant's endpoint whose tid names another tenant.
    const foreign = await ask(await tenantA.sign(claims(TENANT_C, ["reader"])), "read");
    expect(foreign.status).toBe(401);
    expect(foreign.body.detail).toBe("the token's tenant is not allowed");
  });
});
