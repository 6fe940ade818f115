/**
 * The broker end to end over node:http on 127.0.0.1, with a real key server as issuer: the contract, every error
 * answer, audit records, rate limiting, and that nothing secret reaches a response or the audit log.
 */
import { jwtVerify } from "jose";
import type { AuditRecord } from "../../functions-src/audit";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { clientIpFrom } from "../../functions-src/adapters/client-ip";
import { createBroker } from "../../functions-src/core";
import { createFluidMinter, type FluidSettings } from "../../functions-src/mint/fluid-minter";
import { SubjectRateLimiter } from "../../functions-src/rate-limit";
import { requireSecret } from "../../functions-src/secrets";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    claims: { sub: { type: string }, tid: { type: string, pattern: "[a-z0-9]{1,40}" }, name: { type: string }, roles: { type: "string[]" } }
resources:
  fluid: {}
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read, doc:write], ttl: 10m }
      - cosmos: { container: items, partitionKey: "\${claims.tid}", access: all, ttl: 1h }
environments: { dev: { stage: development } }
`;

let server: KeyServer;
let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;
const auditLog: AuditRecord[] = [];
const settings: Record<string, string> = {
  FLUID_KEY1: "fluid-key-one",
  FLUID_KEY2: "fluid-key-two",
  FLUID_ACTIVE_KEY: "key1",
};
const fluidSettings = (): FluidSettings => ({
  tenantId: "local-tenant",
  endpoint: "http://127.0.0.1:7070",
  key1: requireSecret(settings, "FLUID_KEY1"),
  key2: requireSecret(settings, "FLUID_KEY2"),
  active: settings.FLUID_ACTIVE_KEY === "key2" ? "key2" : "key1",
});

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev");
  const core = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: { fluid: createFluidMinter(fluidSettings) }, // no Cosmos minter configured: a Cosmos grant is a 503
    audit: (r) => auditLog.push(r),
    rateLimiter: new SubjectRateLimiter({ burst: 5, perSecond: 0.001 }),
  });
  broker = await startNodeHttpBroker(core);
});
afterAll(async () => {
  await broker.close();
  await server.stop();
});

const editor = (sub = "ed") => server.sign({ sub, tid: "contoso", name: "Ed", roles: ["editor"], aud: "api://broker" });
async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${broker.url}/api/token`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

describe("POST /api/token", () => {
  it("issues a Fluid token for an allowed document, verifiable with the active key, and lists denials", async () => {
    const r = await post(
      {
        requests: [
          { type: "fluid", documentId: "contoso-doc1" },
          { type: "fluid", documentId: "fabrikam-doc1" },
        ],
      },
      { authorization: `Bearer ${await editor()}` },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({ subject: "ed", roles: ["editor"], policy: expect.stringMatching(/^sha256:/) });
    expect(r.body.credentials).toEqual([
      {
        type: "fluid",
        tenantId: "local-tenant",
        endpoint: "http://127.0.0.1:7070",
        documentId: "contoso-doc1",
        scopes: ["doc:read", "doc:write"],
        token: expect.any(String),
        jti: expect.any(String),
        expiresAt: expect.any(String),
      },
    ]);
    expect(r.body.denied).toEqual([
      { request: 1, type: "fluid", reason: "not-granted", message: "no role grants this Fluid document" },
    ]);
    const { payload } = await jwtVerify(r.body.credentials[0].token, new TextEncoder().encode("fluid-key-one"));
    expect(payload).toMatchObject({
      documentId: "contoso-doc1",
      tenantId: "local-tenant",
      user: { id: "ed", name: "Ed" },
      ver: "1.0",
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);
  });

  it("signs with key2 after rotation, without a redeploy of the policy", async () => {
    settings.FLUID_ACTIVE_KEY = "key2";
    try {
      const r = await post(
        { requests: [{ type: "fluid", documentId: "contoso-doc1" }] },
        { authorization: `Bearer ${await editor("ed-rot")}` },
      );
      await expect(
        jwtVerify(r.body.credentials[0].token, new TextEncoder().encode("fluid-key-two")),
      ).resolves.toBeDefined();
    } finally {
      settings.FLUID_ACTIVE_KEY = "key1";
    }
  });

  it("answers 403 with every denial when nothing is allowed", async () => {
    const r = await post(
      { requests: [{ type: "cdn", path: "/x/y" }] },
      { authorization: `Bearer ${await editor("ed-403")}` },
    );
    expect(r.status).toBe(403);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toMatchObject({
      type: "urn:azure-token-broker:problem:forbidden",
      status: 403,
      denied: [{ request: 0, reason: "not-granted" }],
    });
  });

  it("answers 503 with Retry-After when a backend cannot mint (no Cosmos minter here) or a key did not resolve", async () => {
    const r = await post(
      { requests: [{ type: "cosmos", container: "items" }] },
      { authorization: `Bearer ${await editor("ed-503")}` },
    );
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("60");
    settings.FLUID_KEY1 = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/fluid-key1/)";
    try {
      const k = await post(
        { requests: [{ type: "fluid", documentId: "contoso-x" }] },
        { authorization: `Bearer ${await editor("ed-503b")}` },
      );
      expect(k.status).toBe(503);
      expect(k.headers.get("retry-after")).toBe("30");
      expect(JSON.stringify(k.body)).not.toContain("vault.azure.net");
    } finally {
      settings.FLUID_KEY1 = "fluid-key-one";
    }
  });
});

describe("error answers are precise problem+json and leak nothing", () => {
  const cases: [
    string,
    () => Promise<{ status: number; headers: Headers; body: Record<string, any> }>,
    number,
    string,
  ][] = [
    ["no Authorization header", () => post({ requests: [] }), 401, "invalid-token"],
    [
      "a Basic Authorization header",
      () => post({ requests: [] }, { authorization: "Basic YWxpY2U6cHc=" }),
      401,
      "invalid-token",
    ],
    [
      "a forged token",
      async () =>
        post(
          { requests: [{ type: "fluid", create: true }] },
          {
            authorization: `Bearer ${await server.sign({ sub: "x", aud: "api://broker" }, { key: await makeKey("forged") })}`,
          },
        ),
      401,
      "invalid-token",
    ],
    [
      "a spoofed Easy Auth principal",
      async () =>
        post(
          { requests: [{ type: "fluid", documentId: "contoso-a" }] },
          { authorization: `Bearer ${await editor("ed-spoof")}`, "x-ms-client-principal-id": "admin" },
        ),
      401,
      "invalid-token",
    ],
    [
      "invalid JSON",
      async () => post("{not json", { authorization: `Bearer ${await editor("ed-json")}` }),
      400,
      "bad-request",
    ],
    [
      "an unknown request type",
      async () =>
        post({ requests: [{ type: "blob", path: "/x" }] }, { authorization: `Bearer ${await editor("ed-type")}` }),
      400,
      "bad-request",
    ],
    [
      "an unknown field",
      async () =>
        post(
          { requests: [{ type: "fluid", documentId: "contoso-a", userId: "admin" }] },
          { authorization: `Bearer ${await editor("ed-field")}` },
        ),
      400,
      "bad-request",
    ],
    [
      "a body over the limit",
      async () =>
        post(
          { requests: [{ type: "cdn", path: `/${"a".repeat(20_000)}` }] },
          { authorization: `Bearer ${await editor("ed-big")}` },
        ),
      413,
      "payload-too-large",
    ],
  ];

  it.each(cases)("%s", async (_name, send, status, type) => {
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toMatchObject({
      type: `urn:azure-token-broker:problem:${type}`,
      status,
      title: expect.any(String),
      detail: expect.any(String),
    });
    if (status === 401) expect(r.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_(token|request)"$/);
    const text = JSON.stringify(r.body);
    expect(text).not.toMatch(/eyJ|contoso|stack|at \w+ \(/);
  });

  it("names the offending field of a bad request by JSON pointer", async () => {
    const r = await post(
      { requests: [{ type: "fluid", documentId: "../etc" }] },
      { authorization: `Bearer ${await editor("ed-ptr")}` },
    );
    expect(r.body).toMatchObject({ status: 400, pointer: "/requests/0/documentId" });
    expect(JSON.stringify(r.body)).not.toContain("../etc");
  });

  it("answers 415 without application/json, 405 on GET, 404 elsewhere", async () => {
    const res415 = await fetch(`${broker.url}/api/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${await editor("ed-415")}`, "content-type": "text/plain" },
      body: "{}",
    });
    expect(res415.status).toBe(415);
    const res405 = await fetch(`${broker.url}/api/token`);
    expect([res405.status, res405.headers.get("allow")]).toEqual([405, "POST"]);
    expect((await fetch(`${broker.url}/api/admin`)).status).toBe(404);
  });

  it("rate-limits per subject with Retry-After", async () => {
    const token = await editor("ed-rl");
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const r = await post(
        { requests: [{ type: "fluid", documentId: "contoso-a" }] },
        { authorization: `Bearer ${token}` },
      );
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another subject is unaffected.
    expect(
      (
        await post(
          { requests: [{ type: "fluid", documentId: "contoso-a" }] },
          { authorization: `Bearer ${await editor("ed-other")}` },
        )
      ).status,
    ).toBe(200);
  });

  it("GET /api/health is open and says nothing else", async () => {
    const res = await fetch(`${broker.url}/api/health`);
    expect([res.status, await res.json()]).toEqual([200, { status: "ok" }]);
  });
});

describe("audit", () => {
  it("records each issuance and denial with subject, roles, scope, ttl, policy and jti, and never a token", async () => {
    auditLog.length = 0;
    const token = await editor("ed-audit");
    const r = await post(
      {
        requests: [
          { type: "fluid", documentId: "contoso-d" },
          { type: "fluid", create: true },
        ],
      },
      { authorization: `Bearer ${token}` },
    );
    expect(auditLog).toEqual([
      expect.objectContaining({
        event: "denied",
        subject: "ed-audit",
        roles: ["editor"],
        request: 1,
        type: "fluid",
        reason: "insufficient-access",
      }),
      expect.objectContaining({
        event: "issued",
        subject: "ed-audit",
        roles: ["editor"],
        request: 0,
        type: "fluid",
        scope: "contoso-d",
        access: "doc:read doc:write",
        ttlSeconds: 600,
        grant: "editor#0",
        jti: r.body.credentials[0].jti,
        policy: r.body.policy,
      }),
    ]);
    const text = JSON.stringify(auditLog);
    expect(text).not.toContain(token.split(".")[2]);
    expect(text).not.toContain(r.body.credentials[0].token.split(".")[2]);
    expect(text).not.toContain("fluid-key");
  });
});

describe("client IP from the trusted proxy chain", () => {
  it("uses the socket address without trusted proxies, and the entry the last trusted proxy added otherwise", () => {
    expect(clientIpFrom("::ffff:10.0.0.5", "1.2.3.4", 0)).toBe("10.0.0.5");
    expect(clientIpFrom("10.0.0.5", "6.6.6.6, 203.0.113.7", 1)).toBe("203.0.113.7");
    expect(clientIpFrom("10.0.0.5", "6.6.6.6, 203.0.113.7, 10.1.1.1", 2)).toBe("203.0.113.7");
    expect(clientIpFrom("10.0.0.5", "203.0.113.7:5555", 1)).toBe("203.0.113.7");
    expect(clientIpFrom("10.0.0.5", "not-an-ip", 1)).toBeUndefined();
    expect(clientIpFrom("10.0.0.5", "203.0.113.7", 2)).toBeUndefined();
  });
});
