/**
 * Replay end to end: a real broker (core + node:http + a real key server as issuer) writes audit records; the export
 * is shaped as Log Analytics rows with corrupt lines mixed in; replay names the callers who gain and lose.
 */
import { startNodeHttpBroker } from "../../../functions-src/adapters/node-http";
import type { AuditRecord } from "../../../functions-src/audit";
import { createBroker } from "../../../functions-src/core";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { readAuditLines } from "../../../lib/policy/review/audit-log";
import { replayText } from "../../../lib/policy/review/replay";
import { formatReplay } from "../../../lib/policy/review/replay-report";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../lib/cli/main";
import { filesInMemory, loadOk } from "../helpers";
import { KeyServer, makeKey } from "../../support/key-server";

const policyFor = (issuer: string, roles: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    claims: { sub: { type: string }, tid: { type: string, pattern: "^[a-z0-9]{1,40}$" }, name: { type: string }, roles: { type: "string[]" } }
resources:
  fluid: {}
roles:
${roles}
environments: { dev: { stage: development } }
`;

const BASE_ROLES = `  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read, doc:write], ttl: 10m }
  viewer:
    when: { claim: roles, contains: viewer }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read], ttl: 10m }`;

// Head: editors lose doc:write; a new role lets "auditor" callers read.
const HEAD_ROLES = `  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read], ttl: 10m }
  viewer:
    when: { claim: roles, contains: viewer }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read], ttl: 10m }
  auditor:
    when: { claim: roles, contains: auditor }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read], ttl: 5m }`;

let server: KeyServer;
const HASH_KEY = Buffer.from("audit-hash-key-for-tests-only-32b");

beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
});
afterAll(() => server.stop());

/** Runs exchanges through a real broker and returns its audit output as the broker writes it (JSON lines). */
async function recordExchanges(hashKey?: Uint8Array, roles = BASE_ROLES): Promise<string[]> {
  const lines: string[] = [];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer, roles))), "dev");
  const core = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: {
      fluid: createFluidMinter(() => ({
        tenantId: "t",
        endpoint: "http://127.0.0.1:1",
        key1: "k1",
        key2: "k2",
        active: "key1",
      })),
    },
    audit: (r: AuditRecord) => lines.push(JSON.stringify({ audit: r })),
    auditHashKey: hashKey,
  });
  const broker = await startNodeHttpBroker(core);
  try {
    const exchange = async (sub: string, roles: string[], requests: unknown[]) => {
      const token = await server.sign({
        sub,
        tid: "contoso",
        name: "Secret Name",
        email: "x@contoso.example",
        // The base policy never reads groups, so no record keeps them (see "cannot tell" below).
        groups: ["support-team"],
        roles,
        aud: "api://broker",
      });
      await fetch(`${broker.url}/api/token`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ requests }),
      });
    };
    await exchange("ed-1", ["editor"], [{ type: "fluid", documentId: "contoso-a", scopes: ["doc:read", "doc:write"] }]);
    await exchange("ed-2", ["editor"], [{ type: "fluid", documentId: "contoso-b", scopes: ["doc:read", "doc:write"] }]);
    await exchange("ed-2", ["editor"], [{ type: "fluid", documentId: "contoso-c", scopes: ["doc:read", "doc:write"] }]);
    await exchange("vi-1", ["viewer"], [{ type: "fluid", documentId: "contoso-a" }]);
    await exchange("au-1", ["auditor"], [{ type: "fluid", documentId: "contoso-a" }]);
    await exchange("au-2", ["auditor", "x"], [{ type: "fluid", documentId: "contoso-b" }]);
  } finally {
    await broker.close();
  }
  return lines;
}

const bundles = () => ({
  base: loadOk(filesInMemory(policyFor(server.issuer, BASE_ROLES))),
  head: loadOk(filesInMemory(policyFor(server.issuer, HEAD_ROLES))),
});

describe("audit record for replay", () => {
  it("keeps the declared claims the policy reads and the parsed request; never the token or an unread claim", async () => {
    const lines = await recordExchanges();
    const records = lines.map((l) => JSON.parse(l).audit as AuditRecord);
    const issued = records.find((r) => r.event === "issued" && r.subject === "ed-1")!;
    expect(issued.claims).toEqual({ roles: ["editor"], tid: "contoso" });
    expect(issued.asked).toEqual({ type: "fluid", documentId: "contoso-a", scopes: ["doc:read", "doc:write"] });
    const all = lines.join("\n");
    expect(all).not.toContain("Secret Name");
    expect(all).not.toContain("x@contoso.example");
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    const denied = records.find((r) => r.event === "denied" && r.subject === "au-1")!;
    expect(denied.claims).toEqual({ roles: ["auditor"], tid: "contoso" });
  });

  it("with a hash key, keeps equality-only claims as keyed hashes and template claims in clear", async () => {
    const records = (await recordExchanges(HASH_KEY)).map((l) => JSON.parse(l).audit as AuditRecord);
    const r = records.find((x) => x.subject === "ed-1")!;
    expect(r.hashed).toEqual(["roles"]);
    expect(r.claims!.tid).toBe("contoso");
    expect(r.claims!.roles).toEqual([expect.stringMatching(/^hmac:[A-Za-z0-9_-]{43}$/)]);
    expect(JSON.stringify(records.map((x) => x.claims))).not.toContain("editor");
  });
});

describe("policy replay", () => {
  it("names who would gain and who would lose, per role and backend, from a Log Analytics export with corrupt lines", async () => {
    const lines = await recordExchanges();
    // AppTraces rows (workspace-based Application Insights) with a host prefix, a classic traces row, and junk.
    const rows = lines.map((l, i) =>
      i % 2 === 0
        ? JSON.stringify({
            TimeGenerated: "2026-11-25T10:00:00Z",
            Message: l,
            SeverityLevel: 1,
            Properties: { Category: "Host.Function.Console" },
          })
        : JSON.stringify({ timestamp: "2026-11-25T10:00:00Z", message: `Worker: ${l}`, customDimensions: {} }),
    );
    const text = [
      "{not json",
      ...rows.slice(0, 3),
      "",
      '{"Message":"some other trace"}',
      ...rows.slice(3),
      '{"audit": 42',
    ].join("\n");
    const { base, head } = bundles();
    const report = replayText(text, base, head, { source: "export.jsonl" });
    expect(report.environment).toBe("dev"); // found by the base policy hash the records carry
    expect(report.malformed).toEqual({ count: 3, lines: [1, 6, rows.length + 4] });
    expect(report.replayed).toBe(6);
    expect(report.losses).toEqual([
      {
        role: "editor",
        backend: "fluid",
        what: "documents doc:read doc:write → denied (insufficient-access)",
        callers: 2,
        exchanges: 3,
        subjects: ["ed-1", "ed-2"],
      },
    ]);
    expect(report.gains).toEqual([
      {
        role: "auditor",
        backend: "fluid",
        what: "denied → documents doc:read",
        callers: 2,
        exchanges: 2,
        subjects: ["au-1", "au-2"],
      },
    ]);
    expect(formatReplay(report)).toContain(
      "+ 2 caller(s), 2 exchange(s) would gain fluid denied → documents doc:read (role auditor): au-1, au-2",
    );
    expect(report.cannotTell).toEqual([]); // every role of both sides reads only recorded claims
  });

  it("replays hashed records only with the key, and gets the same answer", async () => {
    const text = (await recordExchanges(HASH_KEY)).join("\n");
    const { base, head } = bundles();
    const withKey = replayText(text, base, head, { environment: "dev", hashKey: HASH_KEY });
    expect(withKey.gains.map((g) => g.subjects)).toEqual([["au-1", "au-2"]]);
    expect(withKey.losses.map((g) => g.subjects)).toEqual([["ed-1", "ed-2"]]);
    const withoutKey = replayText(text, base, head, { environment: "dev" });
    expect(withoutKey.replayed).toBe(0);
    expect(withoutKey.skipped).toBe(6);
  });

  it("counts records that cannot be replayed (rejected tokens, hand-edited requests) without failing", () => {
    const text = [
      JSON.stringify({ audit: { event: "rejected", at: "x", policy: "p", reason: "ERR_JWT_EXPIRED" } }),
      JSON.stringify({
        audit: {
          event: "issued",
          subject: "s",
          issuer: "idp",
          claims: { roles: ["editor"], tid: "contoso" },
          asked: { type: "fluid", documentId: "../x" },
        },
      }),
    ].join("\n");
    const { base, head } = bundles();
    const read = readAuditLines(text);
    expect(read.skipped).toBe(1);
    const report = replayText(text, base, head, { environment: "dev" });
    expect(report).toMatchObject({ records: 2, replayed: 0, skipped: 2, malformed: { count: 0 } });
  });
});

describe("token-broker policy replay (CLI)", () => {
  it("exits 3 when a recorded caller would gain, reports corrupt lines, and 2 on a missing --log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-replay-cli-"));
    try {
      for (const [name, roles] of [
        ["base", BASE_ROLES],
        ["head", HEAD_ROLES],
      ] as const) {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, "policy.yaml"), policyFor(server.issuer, roles));
      }
      const log = join(dir, "export.jsonl");
      writeFileSync(log, [...(await recordExchanges()), "garbage", '{"Message": 3}'].join("\n"));
      const out: string[] = [];
      const code = await main(
        ["policy", "replay", "--log", log, join(dir, "base"), join(dir, "head")],
        (s) => out.push(s),
        () => undefined,
      );
      expect(code).toBe(3);
      expect(out.join("\n")).toContain("6 exchange(s) replayed, 0 not replayable, 2 malformed (line 7, 8)");
      expect(out.join("\n")).toContain("2 caller(s) would gain access, 2 would lose access");
      const err: string[] = [];
      expect(
        await main(
          ["policy", "replay", join(dir, "base"), join(dir, "head")],
          () => undefined,
          (s) => err.push(s),
        ),
      ).toBe(2);
      expect(err).toEqual(["policy replay needs --log <file> <base> <head>"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Head: a new role whose condition reads `groups`, a claim the base policy never read, so no record kept it.
const SUPPORT_ROLE = `
  support:
    when: { claim: groups, contains: support-team }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read, doc:write], ttl: 10m }`;
const withGroups = (policy: string) =>
  policy.replace('roles: { type: "string[]" } }', 'roles: { type: "string[]" }, groups: { type: "string[]" } }');

describe("issue 19.6: replay never says nobody gains when the records lack a claim the head reads", () => {
  const headWithSupport = () => loadOk(filesInMemory(withGroups(policyFor(server.issuer, BASE_ROLES + SUPPORT_ROLE))));

  it("names the role it cannot decide and the claim that was not recorded, instead of 'no recorded caller would gain'", async () => {
    const lines = await recordExchanges();
    // Every token carried groups: ["support-team"] (so in reality every caller gains), and no record kept it.
    expect(lines.join("\n")).not.toContain("support-team");
    const report = replayText(lines.join("\n"), bundles().base, headWithSupport(), { source: "export.jsonl" });
    expect(report.replayed).toBe(6);
    expect(report.gains).toEqual([]);
    expect(report.cannotTell).toEqual([
      {
        role: "support",
        claims: [{ claim: "groups", why: "not recorded" }],
        callers: 5,
        exchanges: 6,
        subjects: ["au-1", "au-2", "ed-1", "ed-2", "vi-1"],
      },
    ]);
    const text = formatReplay(report);
    expect(text).not.toContain("no recorded caller would gain");
    expect(text).toContain("cannot tell whether recorded callers would gain access: 1 role(s) undecided");
    expect(text).toContain("? role support, 5 caller(s), 6 exchange(s): cannot tell: claim `groups` was not recorded");
  });

  it("a change through an undecidable role is not reported as a gain or loss; decidable roles still are", async () => {
    // Head also narrows editors (a recorded claim): that loss is certain; the support role stays undecided.
    const head = loadOk(
      filesInMemory(
        withGroups(policyFor(server.issuer, BASE_ROLES.replace("[doc:read, doc:write]", "[doc:read]") + SUPPORT_ROLE)),
      ),
    );
    const report = replayText((await recordExchanges()).join("\n"), bundles().base, head, { environment: "dev" });
    expect(report.losses.map((l) => [l.role, l.subjects])).toEqual([["editor", ["ed-1", "ed-2"]]]);
    expect(report.cannotTell.map((u) => u.role)).toEqual(["support"]);
  });

  it("`policy replay` exits 4 (cannot tell), not 0, and `policy review` shows it in the comment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-replay-gap-"));
    try {
      mkdirSync(join(dir, "base"));
      mkdirSync(join(dir, "head"));
      writeFileSync(join(dir, "base", "policy.yaml"), policyFor(server.issuer, BASE_ROLES));
      writeFileSync(join(dir, "head", "policy.yaml"), withGroups(policyFor(server.issuer, BASE_ROLES + SUPPORT_ROLE)));
      const log = join(dir, "export.jsonl");
      writeFileSync(log, (await recordExchanges()).join("\n"));
      const out: string[] = [];
      const code = await main(
        ["policy", "replay", "--log", log, join(dir, "base"), join(dir, "head")],
        (s) => out.push(s),
        () => undefined,
      );
      expect(code).toBe(4);
      expect(out.join("\n")).toContain("cannot tell: claim `groups` was not recorded");

      const comment = join(dir, "comment.md");
      await main(
        ["policy", "review", join(dir, "base"), join(dir, "head"), "--replay-log", log, "--out", comment],
        () => undefined,
        () => undefined,
      );
      const markdown = readFileSync(comment, "utf8");
      expect(markdown).toContain("❔ cannot tell for 1 role(s)");
      expect(markdown).toContain("- ❔ role `support`: **cannot tell**: claim `groups` was not recorded");
      expect(markdown).not.toContain("no recorded caller would gain or lose access");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a claim recorded as a keyed hash cannot be read as a value: the role is undecided, not a loss", async () => {
    const named = (test: string) => `
  named:
    when: { claim: name, ${test} }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read], ttl: 5m }`;
    const baseRoles = BASE_ROLES + named('equals: "Secret Name"');
    const text = (await recordExchanges(HASH_KEY, baseRoles)).join("\n");
    expect(text).not.toContain("Secret Name");
    const base = loadOk(filesInMemory(policyFor(server.issuer, baseRoles)));
    const head = loadOk(filesInMemory(policyFor(server.issuer, BASE_ROLES + named("prefix: Secret"))));
    const report = replayText(text, base, head, { environment: "dev", hashKey: HASH_KEY });
    expect(report.losses).toEqual([]);
    expect(report.cannotTell.map((u) => [u.role, u.claims])).toEqual([
      ["named", [{ claim: "name", why: "recorded as a keyed hash" }]],
    ]);
  });

  it("for records of another policy version, only the claims a record holds count as kept", async () => {
    const lines = (await recordExchanges()).map((l) =>
      l.replace(/"policy":"sha256:[0-9a-f]{64}"/, '"policy":"sha256:older"'),
    );
    const report = replayText(lines.join("\n"), bundles().base, bundles().head, { environment: "dev" });
    // `roles` and `tid` are in every record: the existing roles stay decidable, and the findings are unchanged.
    expect(report.cannotTell).toEqual([]);
    expect(report.gains.map((g) => g.role)).toEqual(["auditor"]);
    // A record that lost `tid` (an older policy that never templated it) makes every role reading it undecidable.
    const noTid = lines.map((l) => l.replace(/,?"tid":"contoso"/, ""));
    const undecided = replayText(noTid.join("\n"), bundles().base, bundles().head, { environment: "dev" });
    expect(undecided.cannotTell.map((u) => [u.role, u.claims])).toEqual(
      ["auditor", "editor", "viewer"].map((role) => [role, [{ claim: "tid", why: "not recorded" }]]),
    );
    expect(undecided.gains).toEqual([]);
  });
});
