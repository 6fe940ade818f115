import fc from "fast-check";
import { AccessRequestError, parseAccessRequests, type AccessRequest } from "../../lib/policy/runtime/access-request";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { conditionHolds, createEvaluator } from "../../lib/policy/runtime/evaluate";
import { expandTemplate, matchesDocumentPattern, unsafeValueReason } from "../../lib/policy/runtime/template";
import { compileExample, filesInMemory, loadOk } from "./helpers";

const TENANT = "6a1b2c3d-0000-4000-8000-00000000d001"; // dev tenantId in policies/environments.yaml
const USER = "0b5e3a10-0000-4000-8000-0000000000e1";

function decide(env: string, claims: Record<string, unknown>, requests: AccessRequest[]) {
  return createEvaluator(compileExample(env).config).evaluate({ issuer: "entra", claims }, requests);
}

describe("evaluator on the example policy", () => {
  const editor = { oid: USER, tid: TENANT, roles: ["Docs.Editor"] };

  it("denies by default: a caller with no role gets nothing, with a reason per request", () => {
    const d = decide("dev", { oid: USER, tid: TENANT, roles: [] }, [{ type: "cdn", path: "/public/a.css" }]);
    expect(d.roles).toEqual([]);
    expect(d.credentials).toEqual([]);
    expect(d.denied).toEqual([{ request: 0, type: "cdn", reason: "no-role", message: expect.any(String) }]);
  });

  it("gives the access asked for, not the grant's: read under an `all` grant stays read", () => {
    const d = decide("dev", editor, [{ type: "cosmos", container: "documents" }]);
    expect(d.credentials[0]).toMatchObject({
      access: "read",
      partitionKey: TENANT,
      grant: "editor#0",
      ttlSeconds: 3600,
    });
  });

  it("honours a shorter ttl and never extends one", () => {
    const d = decide("dev", editor, [
      { type: "cosmos", container: "documents", ttl: 120 },
      { type: "cosmos", container: "documents", ttl: 999999 },
    ]);
    expect(d.credentials.map((c) => c.ttlSeconds)).toEqual([120, 3600]);
  });

  it("names the grant that decided and keeps policy order on ties", () => {
    const d = decide("dev", editor, [{ type: "cdn", path: `/tenants/${TENANT}/x.png` }]);
    expect(d.credentials[0]).toMatchObject({ grant: "reader#3", prefix: `/tenants/${TENANT}/` });
  });

  it("refuses a template claim value that would widen the scope, without echoing it", () => {
    const d = decide("dev", { ...editor, tid: "../other" }, [{ type: "cosmos", container: "documents" }]);
    expect(d.credentials).toEqual([]);
    expect(d.denied[0].reason).toBe("claim-unusable");
    expect(d.denied[0].message).toContain("'tid'");
    expect(d.denied[0].message).not.toContain("../other");
  });

  it("treats a missing subject as no identity at all", () => {
    const d = decide("dev", { tid: TENANT, roles: ["Docs.Admin"] }, [{ type: "fluid", create: true }]);
    expect(d.denied[0].reason).toBe("no-subject");
  });

  it("only gives the prod-only support role in production", () => {
    const support = { oid: USER, tid: TENANT, groups: ["6a1b2c3d-0000-4000-8000-00000000f0a1"] };
    expect(
      decide("prod", support, [{ type: "cosmos", container: "documents", partitionKey: "*" }]).credentials,
    ).toHaveLength(1);
    const devSupport = { ...support, groups: ["6a1b2c3d-0000-4000-8000-00000000d0a1"] };
    for (const env of ["dev", "pr-1", "pr-99999"]) {
      const { config } = compileExample(env);
      expect(config.roles.map((r) => r.name)).not.toContain("support");
      expect(JSON.stringify(config)).not.toContain("support#");
      expect(
        decide(env, devSupport, [{ type: "cosmos", container: "documents", partitionKey: "*" }]).denied[0].reason,
      ).toBe("no-role");
    }
  });
});

describe("merge rules", () => {
  const policy = (roles: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: https://idp.example.com, audiences: [api], claims: { sub: { type: string }, tid: { type: string, pattern: "[a-z0-9]{1,36}" }, team: { type: string }, roles: { type: "string[]" } } }
resources:
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
  fluid: {}
  cdn: { prefixes: { /files/: {} } }
roles:
${roles}
environments: { dev: { stage: development } }
`;
  const evaluatorFor = (roles: string) =>
    createEvaluator(compilePolicy(loadOk(filesInMemory(policy(roles))), "dev").config);

  it("asks the caller to name a partition when two grants give different ones", () => {
    const ev = evaluatorFor(`  a:
    when: { claim: roles, contains: a }
    grants: [{ cosmos: { container: items, partitionKey: "\${claims.tid}", access: read, ttl: 1h } }]
  b:
    when: { claim: roles, contains: b }
    grants: [{ cosmos: { container: items, partitionKey: "\${claims.team}", access: read, ttl: 1h } }]`);
    const claims = { sub: "s", tid: "t1", team: "red", roles: ["a", "b"] };
    const d = ev.evaluate({ issuer: "idp", claims }, [
      { type: "cosmos", container: "items" },
      { type: "cosmos", container: "items", partitionKey: "red" },
    ]);
    expect(d.denied).toEqual([expect.objectContaining({ request: 0, reason: "ambiguous" })]);
    expect(d.credentials).toEqual([expect.objectContaining({ request: 1, partitionKey: "red", grant: "b#0" })]);
  });

  it("prefers the narrowest scope when the request names none, and narrows a whole-container grant to a named partition", () => {
    const ev = evaluatorFor(`  wide:
    when: { claim: roles, contains: wide }
    grants: [{ cosmos: { container: items, access: all, ttl: 2h } }]
  own:
    when: { claim: roles, contains: own }
    grants: [{ cosmos: { container: items, partitionKey: "\${claims.tid}", access: read, ttl: 1h } }]`);
    const claims = { sub: "s", tid: "t1", roles: ["wide", "own"] };
    const d = ev.evaluate({ issuer: "idp", claims }, [
      { type: "cosmos", container: "items" },
      { type: "cosmos", container: "items", partitionKey: "t9", access: "all" },
      { type: "cosmos", container: "items", partitionKey: "*" },
    ]);
    expect(d.credentials.map((c) => c.type === "cosmos" && [c.partitionKey, c.access, c.grant, c.ttlSeconds])).toEqual([
      ["t1", "read", "own#0", 3600],
      ["t9", "all", "wide#0", 7200],
      [null, "read", "wide#0", 7200],
    ]);
  });

  it("never combines Fluid scopes from two grants into one token", () => {
    const ev = evaluatorFor(`  r:
    when: { claim: roles, contains: r }
    grants: [{ fluid: { documents: "*", scopes: [doc:read], ttl: 1h } }]
  w:
    when: { claim: roles, contains: w }
    grants: [{ fluid: { documents: "\${claims.tid}-*", scopes: [doc:write], ttl: 1h } }]`);
    const d = ev.evaluate({ issuer: "idp", claims: { sub: "s", tid: "t1", roles: ["r", "w"] } }, [
      { type: "fluid", documentId: "t1-doc", scopes: ["doc:read", "doc:write"] },
      { type: "fluid", documentId: "t1-doc", scopes: ["doc:write"] },
      { type: "fluid", documentId: "t2-doc", scopes: ["doc:write"] },
    ]);
    expect(d.denied.map((x) => [x.request, x.reason])).toEqual([
      [0, "insufficient-access"],
      [2, "insufficient-access"],
    ]);
    expect(d.credentials).toEqual([expect.objectContaining({ request: 1, scopes: ["doc:write"], grant: "w#0" })]);
  });

  it("answers Fluid scopes in sort order, whether asked for in any order or taken from the grant (fast-check)", () => {
    const all = ["summary:write", "doc:write", "doc:read"] as const;
    const ev = evaluatorFor(`  a:
    when: { claim: roles, contains: a }
    grants: [{ fluid: { documents: "*", scopes: [summary:write, doc:write, doc:read], ttl: 1h } }]`);
    fc.assert(
      fc.property(fc.shuffledSubarray([...all], { minLength: 1 }), fc.boolean(), (asked, omit) => {
        const request = omit
          ? { type: "fluid" as const, documentId: "d" }
          : { type: "fluid" as const, documentId: "d", scopes: asked };
        const d = ev.evaluate({ issuer: "idp", claims: { sub: "s", roles: ["a"] } }, [request]);
        const expected = (omit ? [...all] : asked).slice().sort();
        expect(d.credentials).toEqual([expect.objectContaining({ scopes: expected })]);
        // A copy: the answer never shares its array with the request or the policy.
        const scopes = (d.credentials[0] as { scopes: string[] }).scopes;
        expect(scopes).not.toBe(asked);
      }),
    );
  });

  it("picks the longest matching CDN prefix", () => {
    const ev = evaluatorFor(`  r:
    when: { claim: roles, contains: r }
    grants:
      - cdn: { prefix: /files/, ttl: 1h }
      - cdn: { prefix: "/files/\${claims.tid}/", ttl: 10m, bindClientIp: true }`);
    const d = ev.evaluate({ issuer: "idp", claims: { sub: "s", tid: "t1", roles: ["r"] } }, [
      { type: "cdn", path: "/files/t1/a.txt" },
    ]);
    expect(d.credentials[0]).toMatchObject({ prefix: "/files/t1/", bindClientIp: true, ttlSeconds: 600, grant: "r#1" });
  });

  it("finds the same roles through the index as by testing every role", () => {
    const roles = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0
        ? `  r${i}:\n    when: { claim: roles, contains: "g${i}" }\n    grants: [{ cdn: { prefix: /files/, ttl: ${i + 1}m } }]`
        : i % 3 === 1
          ? `  r${i}:\n    when: { all: [{ claim: team, in: [t${i}, shared] }, { claim: tid, prefix: "x" }] }\n    grants: [{ cdn: { prefix: /files/, ttl: ${i + 1}m } }]`
          : `  r${i}:\n    when: { any: [{ claim: team, glob: "*${i}" }, { not: { claim: tid, exists: true } }] }\n    grants: [{ cdn: { prefix: /files/, ttl: ${i + 1}m } }]`,
    ).join("\n");
    const ev = evaluatorFor(roles);
    for (const claims of [
      { sub: "s", roles: ["g0", "g3", "g39"], team: "shared", tid: "xy" },
      { sub: "s", team: "t4" },
      { sub: "s", team: "a14", tid: "x" },
    ]) {
      const indexed = ev.matchRoles({ issuer: "idp", claims }).map((r) => r.name);
      const linear = ev.config.roles.filter((r) => conditionHolds(r.when, claims)).map((r) => r.name);
      expect(indexed).toEqual(linear);
      expect(indexed.length).toBeGreaterThan(0);
    }
  });
});

describe("template values", () => {
  it.each([
    "",
    "a/b",
    "..",
    "a..b",
    "a,b",
    "*",
    "a?",
    "#x",
    "50%",
    "a b",
    "tab\t",
    "nl\n",
    "nul\u0000",
    "a\\b",
    "k=v",
    "a&b",
    "x".repeat(257),
    "\u2028",
    "Ünïcødé",
  ])("rejects %j", (v) => {
    expect(unsafeValueReason(v)).toBeDefined();
    expect(expandTemplate(["/t/", { claim: "tid" }, "/"], { tid: v })).toEqual({
      claim: "tid",
      reason: expect.any(String),
    });
  });

  it.each(["contoso", "6a1b2c3d-0000-4000-8000-00000000d001", "a.b_c-d", "x".repeat(256)])("accepts %j", (v) => {
    expect(unsafeValueReason(v)).toBeUndefined();
  });

  it("rejects claims that are not strings or numbers", () => {
    for (const v of [["a"], { a: 1 }, true, null, undefined, Number.NaN]) {
      expect(expandTemplate([{ claim: "c" }], { c: v })).toHaveProperty("reason");
    }
  });

  it("matches document patterns: * is one or more characters other than '/'", () => {
    expect(matchesDocumentPattern("t1-*", "t1-doc")).toBe(true);
    expect(matchesDocumentPattern("t1-*", "t1-")).toBe(false);
    expect(matchesDocumentPattern("t1-*", "t1-a/b")).toBe(false);
    expect(matchesDocumentPattern("*-*-x", "a-b-c-x")).toBe(true);
    expect(matchesDocumentPattern("abc", "abcd")).toBe(false);
  });
});

describe("request parsing", () => {
  it("parses each request type", () => {
    expect(
      parseAccessRequests({
        requests: [
          { type: "cosmos", container: "documents", partitionKey: "p", access: "all", ttl: 60 },
          { type: "fluid", documentId: "d1", scopes: ["doc:read", "doc:read"] },
          { type: "fluid", documentId: "" },
          { type: "cdn", path: "/tenants/t/a.png" },
        ],
      }),
    ).toEqual([
      { type: "cosmos", container: "documents", partitionKey: "p", access: "all", ttl: 60 },
      { type: "fluid", documentId: "d1", scopes: ["doc:read"] },
      { type: "fluid", create: true },
      { type: "cdn", path: "/tenants/t/a.png" },
    ]);
  });

  it.each([
    [null, ""],
    [{}, "/requests"],
    [{ requests: [] }, "/requests"],
    [{ requests: [{}], extra: 1 }, "/extra"],
    [{ requests: [{ type: "blob" }] }, "/requests/0/type"],
    [{ requests: [{ type: "cosmos" }] }, "/requests/0/container"],
    [{ requests: [{ type: "cosmos", container: "c", access: "write" }] }, "/requests/0/access"],
    [{ requests: [{ type: "cosmos", container: "c", partitionKey: "a/b" }] }, "/requests/0/partitionKey"],
    [{ requests: [{ type: "cosmos", container: "c", ttl: 1.5 }] }, "/requests/0/ttl"],
    [{ requests: [{ type: "fluid", documentId: "../x" }] }, "/requests/0/documentId"],
    [{ requests: [{ type: "fluid", create: true, documentId: "x" }] }, "/requests/0/documentId"],
    [{ requests: [{ type: "fluid", documentId: "x", scopes: ["doc:admin"] }] }, "/requests/0/scopes"],
    [{ requests: [{ type: "cdn", path: "relative" }] }, "/requests/0/path"],
    [{ requests: [{ type: "cdn", path: "/a/../b" }] }, "/requests/0/path"],
    [{ requests: [{ type: "cdn", path: "/a//b" }] }, "/requests/0/path"],
    [{ requests: [{ type: "cdn", path: "/tenants/t1/" }] }, "/requests/0/path"],
    [{ requests: [{ type: "cdn", path: "/a/%2e%2e/b" }] }, "/requests/0/path"],
    [{ requests: [{ type: "cdn", path: "/a?sig=x" }] }, "/requests/0/path"],
    [{ requests: [{ type: "cdn", path: "/a", sneaky: 1 }] }, "/requests/0/sneaky"],
    [{ requests: Array.from({ length: 17 }, () => ({ type: "cdn", path: "/a" })) }, "/requests"],
  ])("rejects %j at %s", (body, pointer) => {
    let error: unknown;
    try {
      parseAccessRequests(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AccessRequestError);
    expect((error as AccessRequestError).pointer).toBe(pointer);
  });

  it("does not echo rejected values", () => {
    try {
      parseAccessRequests({ requests: [{ type: "cosmos", container: "c", partitionKey: "secret/../value" }] });
      throw new Error("expected a rejection");
    } catch (e) {
      expect((e as Error).message).not.toContain("secret");
    }
  });
});
