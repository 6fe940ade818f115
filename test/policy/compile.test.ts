import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson, sha256Hex } from "../../lib/policy/authoring/canonical-json";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { PolicyError } from "../../lib/policy/authoring/errors";
import { UnknownEnvironmentError } from "../../lib/policy/authoring/environments";
import { checkedOrThrow, loadCheckedPolicy } from "../../lib/policy/authoring/checked-policy";
import { compileExample, example, filesInMemory, ROOT } from "./helpers";

describe("compiler", () => {
  it("is deterministic: two compiles, and two separate processes, give byte-identical output", () => {
    const a = JSON.stringify(compileExample("prod"));
    const b = JSON.stringify(compileExample("prod"));
    expect(a).toBe(b);
    const dir = mkdtempSync(join(tmpdir(), "tb-compile-"));
    const bin = join(ROOT, "lib", "cli", "token-broker.cjs");
    for (const n of [1, 2])
      execFileSync(
        process.execPath,
        [bin, "policy", "compile", "policies", "--env", "prod", "--out", join(dir, `c${n}.json`)],
        { cwd: ROOT },
      );
    const first = readFileSync(join(dir, "c1.json"), "utf8");
    expect(readFileSync(join(dir, "c2.json"), "utf8")).toBe(first);
    expect(JSON.parse(first)).toEqual(JSON.parse(JSON.stringify(compileExample("prod").config)));
  });

  it("hashes the canonical content, so the hash changes exactly when the config does", () => {
    const { config } = compileExample("dev");
    const { policyHash, ...rest } = config;
    expect(policyHash).toBe(`sha256:${sha256Hex(canonicalJson(rest))}`);
    expect(compileExample("prod").config.policyHash).not.toBe(policyHash);
    expect(compileExample("pr-7").config.policyHash).not.toBe(compileExample("pr-8").config.policyHash); // the name is part of it
  });

  it("precomputes what the broker needs: issuers from tenants, TTLs in seconds, templates as parts, the role index", () => {
    const { config } = compileExample("dev");
    expect(config.issuers[0]).toMatchObject({
      issuers: ["https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000d001/v2.0"],
      discovery: [
        "https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000d001/v2.0/.well-known/openid-configuration",
      ],
      // A v2.0 token's `aud` is the API registration's client id (issue 22 item 5).
      audiences: ["6a1b2c3d-0000-4000-8000-00000000d0c1"],
      algorithms: ["RS256"],
      clockToleranceSeconds: 60,
      subjectClaim: "oid",
      requiredClaims: ["oid", "tid"],
    });
    const reader = config.roles.find((r) => r.name === "reader")!;
    expect(reader.grants[0]).toEqual({
      type: "cosmos",
      id: "reader#0",
      container: "documents",
      partitionKey: [{ claim: "tid" }],
      access: "read",
      ttlSeconds: 3600,
    });
    expect(reader.grants[3]).toEqual({
      type: "cdn",
      id: "reader#3",
      prefix: ["/tenants/", { claim: "tid" }, "/"],
      bindClientIp: false,
      protocol: "https",
      ttlSeconds: 900,
    });
    const admin = config.roles.find((r) => r.name === "admin")!;
    expect(admin.grants.map((g) => g.id)).toEqual([
      "admin#0",
      "editor#0",
      "editor#1",
      "reader#0",
      "reader#1",
      "reader#2",
      "reader#3",
      "reader#4",
    ]);
    expect(config.index).toEqual({
      byClaim: { roles: { "s:Docs.Reader": [0], "s:Docs.Editor": [1], "s:Docs.Admin": [2] } },
      unindexed: [],
    });
  });

  it("derives the infrastructure needs: Cosmos local auth stays on only because resource tokens are minted", () => {
    const { infra } = compileExample("prod");
    expect(infra.cosmos).toMatchObject({ mintsResourceTokens: true, localAuthenticationDisabled: false });
    expect(infra.cosmos!.rbac).toEqual([
      {
        name: "operations",
        principalId: "6a1b2c3d-0000-4000-8000-00000000f0b1",
        principalType: "group",
        role: "reader",
        scope: "database",
      },
    ]);
    expect(infra.cdn!.prefixes).toEqual([
      { prefix: "/public/", cache: "shared", queryStringCaching: "IgnoreQueryString" },
      {
        prefix: "/tenants/",
        cache: "private",
        queryStringCaching: "UseQueryString",
        // `allow: origins`: prod's allowedOrigins as the Referer a browser sends from them (issue 22 item 6).
        edge: { countries: { deny: ["KP", "IR"] }, referrers: { allow: ["https://docs.contoso.com/"] } },
      },
    ]);
    expect(compileExample("dev").infra.cdn!.prefixes[1].edge!.referrers).toEqual({
      allow: ["https://docs-dev.contoso.com/", "http://localhost:"],
    });
    expect(infra.secrets).toEqual(["cosmos-keys", "fluid-keys"]);

    const text = readFileSync(join(ROOT, "policies", "policy.yaml"), "utf8").replace(/ {6}- cosmos: .*\n/g, "");
    const noCosmos = compilePolicy(
      checkedOrThrow(
        loadCheckedPolicy({
          ...example().files,
          read: (f) => (f.endsWith("policy.yaml") ? text : readFileSync(f, "utf8")),
        }),
      ),
      "prod",
    );
    expect(noCosmos.infra.cosmos).toMatchObject({ mintsResourceTokens: false, localAuthenticationDisabled: true });
    expect(noCosmos.infra.secrets).toEqual(["fluid-keys"]);
  });

  it("gives no checked policy to compile for an invalid one, and lists every error", () => {
    const bad = readFileSync(join(ROOT, "test", "policy", "fixtures", "minimal.yaml"), "utf8")
      .replace("ttl: 1h }", "ttl: 9h }")
      .replace("ttl: 15m }", "ttl: 9d }");
    const loaded = loadCheckedPolicy(filesInMemory(bad));
    expect(loaded.ok).toBe(false);
    expect(() => checkedOrThrow(loaded)).toThrow(PolicyError);
    try {
      checkedOrThrow(loaded);
    } catch (e) {
      expect((e as PolicyError).diagnostics.map((d) => d.code)).toEqual(["E_TTL_LIMIT", "E_TTL_LIMIT"]);
    }
  });

  it("resolves ephemeral environments by name and refuses unknown ones", () => {
    expect(compileExample("pr-123").config.environment).toEqual({ name: "pr-123", stage: "ephemeral" });
    for (const name of ["pr", "pr-0", "pr-123456", "staging", "dev-1"])
      expect(() => compileExample(name)).toThrow(UnknownEnvironmentError);
  });
});

describe("inherited grants", () => {
  it("lists each grant once, at its first place: a diamond's shared grants and equal grants of two parents (issue 17)", () => {
    const text = `version: 1
issuers:
  idp: { type: oidc, issuer: https://idp.example.com, audiences: [api://b], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: {}, cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } } }
roles:
  base:
    when: { claim: roles, contains: base }
    grants:
      - fluid: { documents: "doc-*", scopes: [doc:read], ttl: 10m }
  left:
    when: { claim: roles, contains: left }
    inherits: [base]
    grants:
      - cosmos: { container: items, access: read, ttl: 1h }
      - fluid: { documents: "doc-*", scopes: [doc:write], ttl: 10m }
  right:
    when: { claim: roles, contains: right }
    inherits: [base]
    grants:
      - cosmos: { ttl: 1h, access: read, container: items }
      - cosmos: { container: items, access: all, ttl: 1h }
  top:
    when: { claim: roles, contains: top }
    inherits: [left, right]
    grants:
      - fluid: { documents: "doc-*", scopes: [doc:read, doc:write], ttl: 10m }
environments: { dev: { stage: development } }
`;
    const { config } = compilePolicy(checkedOrThrow(loadCheckedPolicy(filesInMemory(text))), "dev");
    const ids = (name: string) => config.roles.find((r) => r.name === name)!.grants.map((g) => g.id);
    // right#0 has left#0's content (its keys in another order) and base#0 comes through both parents: each once.
    expect(ids("top")).toEqual(["top#0", "left#0", "left#1", "base#0", "right#1"]);
    expect(ids("right")).toEqual(["right#0", "right#1", "base#0"]);
  });
});
