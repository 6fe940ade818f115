/** The review CLI, run in-process through main() (and once as the real binary), on real files and a real git repo. */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../lib/cli/main";
import { ROOT } from "../policy/helpers";

async function run(argv: string[], cwd = ROOT) {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(
      argv,
      (s) => out.push(s),
      (s) => err.push(s),
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    process.chdir(before);
  }
}

function gitRepoWithPolicies(): string {
  const dir = mkdtempSync(join(tmpdir(), "tb-diff-"));
  cpSync(join(ROOT, "policies"), join(dir, "policies"), { recursive: true });
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "empty");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base policy");
  return dir;
}

function edit(dir: string, change: (text: string) => string) {
  const file = join(dir, "policies", "policy.yaml");
  const before = readFileSync(file, "utf8");
  const after = change(before);
  expect(after).not.toBe(before);
  writeFileSync(file, after);
}

describe("token-broker policy check", () => {
  it("passes the example policy and summarises it", async () => {
    const r = await run(["policy", "check", "policies/"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "ok: policies/policy.yaml: 4 roles, 2 issuer(s), environments local, dev, prod, pr-<n>, 1 test file(s)",
    );
  });

  it("reports every error with file:line:column and a hint, and exits 1", async () => {
    const r = await run(["policy", "check", "test/policy/broken/cosmos-ttl-over-5h.yaml"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "test/policy/broken/cosmos-ttl-over-5h.yaml:30:91 error E_TTL_LIMIT: ttl 6h (21600 s) is above the Cosmos DB resource-token limit of 5h\n  hint: use a ttl of at most 5h (18000 s)",
    );
  });

  it("answers --json with the diagnostics", async () => {
    const r = await run(["policy", "check", "test/policy/broken/unknown-container.yaml", "--json"]);
    expect(JSON.parse(r.out)).toEqual({
      ok: false,
      diagnostics: [
        expect.objectContaining({
          code: "E_UNKNOWN_CONTAINER",
          line: 30,
          column: 30,
          hint: "did you mean 'documents'?",
        }),
      ],
    });
  });

  it("checks the test files' schema too, without running them", async () => {
    const dir = gitRepoWithPolicies();
    writeFileSync(
      join(dir, "policies", "tests", "bad.yaml"),
      "cases:\n  - name: empty\n    requests: []\n    expect: {}\n",
    );
    const r = await run(["policy", "check"], dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain("policies/tests/bad.yaml:3:15 error E_SCHEMA: cases[0].requests must not be empty");
  });

  it("runs as the installed binary", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "lib", "cli", "token-broker.cjs"), "policy", "check"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(out).toContain("ok: policies/policy.yaml");
  });

  it("rejects bad usage with exit 2", async () => {
    expect((await run(["policy", "compile"])).code).toBe(2);
    expect((await run(["policy", "frobnicate"])).code).toBe(2);
    expect((await run(["policy", "check", "--no-such-flag"])).code).toBe(2);
    expect((await run(["policy", "compile", "--env", "staging"])).err).toContain(
      "unknown environment 'staging'; known: local, dev, prod, pr-<n>",
    );
  });
});

describe("issue 7.1 template collisions: policy check on a copy of the example", () => {
  // The example with tenant-scoped Fluid documents, as `policy check` used to recommend.
  const withTenantDocuments = (tid: string) => {
    const dir = gitRepoWithPolicies();
    edit(
      dir,
      (t) =>
        t
          .replace(
            "      - fluid: { documents: { owner: tenant }, scopes: [doc:read], ttl: 1h }",
            '      - fluid: { documents: "${claims.tid}-*", scopes: [doc:read], ttl: 1h }',
          )
          .replaceAll("      tid: { type: string, format: uuid }", `      tid: ${tid}`), // every issuer's tid
    );
    return dir;
  };

  it("fails with the position, two colliding values and the fix when tid is a plain string (the real binary)", () => {
    const dir = withTenantDocuments("{ type: string }");
    let failure: { status: number; stdout: string } | undefined;
    try {
      execFileSync(process.execPath, [join(ROOT, "lib", "cli", "token-broker.cjs"), "policy", "check", "policies/"], {
        cwd: dir,
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (e) {
      failure = e as { status: number; stdout: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stdout).toBe(
      "policies/policy.yaml:74:30 error E_TEMPLATE_AMBIGUOUS: claim 'tid' (a plain string) may contain '-', the separator after ${claims.tid}, " +
        "so where its value ends is not fixed: tid 'contoso' and tid 'contoso-evil' both reach 'contoso-evil-doc1'\n" +
        "  hint: declare 'tid' with a pattern that excludes '-' (e.g. \"^[a-z0-9]{1,36}$\") or with a fixed length (format: uuid, or a pattern " +
        "such as \"^[0-9a-f]{32}$\"); or separate with a character no claim value can hold, such as '/'\n1 error(s)\n",
    );
  });

  it("passes when tid is declared format: uuid", async () => {
    const r = await run(["policy", "check", "policies/"], withTenantDocuments("{ type: string, format: uuid }"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("ok: policies/policy.yaml");
  });
});

describe("token-broker policy test", () => {
  it("runs the example's tests in every environment", async () => {
    const r = await run(["policy", "test"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✔ \[prod\] support reads any tenant's documents in production/);
    expect(r.out).toMatch(/✔ \[pr-4711\] support has no access at all outside production/);
    expect(r.out.split("\n").at(-1)).toBe("30 passed, 0 failed");
  });

  it("fails when the policy stops doing what a test expects, and says what differs", async () => {
    const dir = gitRepoWithPolicies();
    edit(dir, (t) =>
      t.replace(
        'partitionKey: "${claims.tid}", access: read, ttl: 1h',
        'partitionKey: "${claims.tid}", access: read, ttl: 2h',
      ),
    );
    const r = await run(["policy", "test"], dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✘ [dev] a reader reads its own tenant's documents and writes only its own profile");
    expect(r.out).toMatch(/expected .*"ttl":3600.*\n\s+got .*"ttl":7200/);
  });
});

describe("token-broker policy explain", () => {
  const claims = join(mkdtempSync(join(tmpdir(), "tb-explain-")), "claims.yaml");
  writeFileSync(
    claims,
    "oid: 0b5e3a10-0000-4000-8000-0000000000e1\ntid: 6a1b2c3d-0000-4000-8000-00000000d001\nroles: [Docs.Editor]\n",
  );

  it("shows which roles match, why, what they grant and what the requests get", async () => {
    const r = await run([
      "policy",
      "explain",
      "--env",
      "dev",
      "--claims",
      claims,
      "--request",
      '{"type":"fluid","create":true}',
      "--request",
      '{"type":"cosmos","container":"documents","access":"all"}',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('✘ role reader\n    ✘ roles contains "Docs.Reader"');
    expect(r.out).toContain(
      '✔ role editor\n    ✔ roles contains "Docs.Editor"\n    grants Cosmos `documents` partition `${claims.tid}`, all, 1h  [editor#0]',
    );
    expect(r.out).toContain("grants CDN `/tenants/${claims.tid}/`, 15m  [reader#3]");
    expect(r.out).not.toContain("role support"); // not compiled into dev
    // Editors create their tenant's documents (issue 21): the grant says it covers documents by owner.
    expect(r.out).toContain("request 0: granted by editor#1 (Fluid documents owned by the caller's tenant):");
    expect(r.out).toContain(
      'request 1: granted by editor#0: {"type":"cosmos","database":"docs","container":"documents","partitionKeyPath":"/tenantId","partitionKey":"6a1b2c3d-0000-4000-8000-00000000d001","access":"all","ttlSeconds":3600}',
    );
  });

  it("reads the claims of a JWT, and says the signature was not verified", async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const jwt = `${part({ alg: "RS256" })}.${part({ iss: "https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000f001/v2.0", oid: "0b5e3a10-0000-4000-8000-00000000005a", groups: ["6a1b2c3d-0000-4000-8000-00000000f0a1"] })}.sig`;
    const r = await run(["policy", "explain", "--env", "prod", "--token", jwt, "--json"]);
    const e = JSON.parse(r.out);
    expect(e.issuer).toBe("entra");
    expect(e.roles.filter((x: { matched: boolean }) => x.matched).map((x: { role: string }) => x.role)).toEqual([
      "support",
    ]);
    const text = await run(["policy", "explain", "--env", "prod", "--token", jwt]);
    expect(text.out.split("\n")[0]).toBe(
      "note: the token's signature is NOT verified by explain; the broker verifies it.",
    );
  });
});

describe("token-broker policy diff", () => {
  it("reports identical policies as unchanged, across git revisions", async () => {
    const dir = gitRepoWithPolicies();
    const r = await run(["policy", "diff", "main", "HEAD", "--fail-on-widen"], dir);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "## Access policy diff: `main:policies` → `HEAD:policies`\n\nunchanged: no one gains or loses access.",
    );
  });

  it("shows who gains and loses what, per role and environment, and exits 3 with --fail-on-widen", async () => {
    const dir = gitRepoWithPolicies();
    edit(dir, (t) =>
      t
        // widened partition template: editors now write every tenant's documents
        .replace(
          '- cosmos: { container: documents, partitionKey: "${claims.tid}", access: all, ttl: 1h }',
          "- cosmos: { container: documents, access: all, ttl: 1h }",
        )
        // removed scope: editors lose summary:write
        .replace("scopes: [doc:read, doc:write, summary:write], ttl: 1h }", "scopes: [doc:read, doc:write], ttl: 1h }")
        // TTL change on the tenant CDN prefix
        .replace('prefix: "/tenants/${claims.tid}/", ttl: 15m }', 'prefix: "/tenants/${claims.tid}/", ttl: 1h }')
        // edge rule change: IR no longer denied, CU denied
        .replace("countries: { deny: [KP, IR] }", "countries: { deny: [KP, CU] }")
        // a prod-only change: support reads for 1h instead of 30m
        .replace(
          "- cosmos: { container: documents, access: read, ttl: 30m }",
          "- cosmos: { container: documents, access: read, ttl: 1h }",
        )
        // added role
        .replace(
          "cosmosRbac:",
          "  auditor:\n    when: { claim: roles, contains: Docs.Auditor }\n    grants:\n      - cosmos: { container: profiles, access: read, ttl: 15m }\n\ncosmosRbac:",
        ),
    );
    const r = await run(["policy", "diff", "main", "policies", "--fail-on-widen"], dir);
    expect(r.code).toBe(3);
    const md = r.out;
    expect(md).toContain("## Access policy diff: `main:policies` → `policies`");
    expect(md).toContain("**Access widens**");
    expect(md).toContain("### Environments `local`, `dev`, `pr-1`");
    expect(md).toContain("### Environment `prod`");
    // Effective access (issue 7.2): what each role can obtain, inherited grants included.
    expect(md).toContain(
      "**role editor**\n- ⬆ widens: gains Cosmos `documents` (every partition): all, 1h\n" +
        "- ⬇ narrows: Fluid documents owned by the caller's tenant: doc:read doc:write summary:write, 1h → doc:read doc:write, 1h\n" +
        "- ⬇ narrows: Fluid: create new documents: doc:read doc:write summary:write, 1h → doc:read doc:write, 1h\n" +
        "- ⬆ widens: CDN `/tenants/${claims.tid}/`: 15m → 1h",
    );
    // admin#0 still grants summary:write, but for 30m: what admin loses is summary:write for longer than 30m.
    expect(md).toContain(
      "**role admin**\n- ⬇ narrows: Fluid documents owned by the caller's tenant: doc:read doc:write summary:write, 1h → " +
        "doc:read doc:write summary:write, 30m | doc:read doc:write, 1h (no longer doc:read doc:write summary:write, 1h)\n" +
        "- ⬇ narrows: Fluid: create new documents: doc:read doc:write summary:write, 1h → " +
        "doc:read doc:write summary:write, 30m | doc:read doc:write, 1h (no longer doc:read doc:write summary:write, 1h)\n" +
        "- ⬆ widens: gains Cosmos `documents` (every partition): all, 1h",
    );
    expect(md).toContain("**role support**\n- ⬆ widens: Cosmos `documents` (every partition): read, 30m → read, 1h");
    expect(md.indexOf("**role support**")).toBeGreaterThan(md.indexOf("### Environment `prod`"));
    expect(md).toContain("**role reader**\n- ⬆ widens: CDN `/tenants/${claims.tid}/`: 15m → 1h");
    expect(md).toContain(
      '**role auditor**\n- ⬆ widens: **new role** for callers where roles contains "Docs.Auditor"\n- ⬆ widens: gains Cosmos `profiles` (every partition): read, 15m',
    );
    expect(md).toContain(
      "**CDN edge /tenants/**\n- ⬇ narrows: countries now denied: CU\n- ⬆ widens: countries no longer denied: IR",
    );

    const json = JSON.parse((await run(["policy", "diff", "main", "policies", "--json"], dir)).out);
    expect(json.widens).toBe(true);
    expect(json.groups.map((g: { environments: string[] }) => g.environments)).toEqual([
      ["local", "dev", "pr-1"],
      ["prod"],
    ]);
    // The typed access change a PR-comment renderer builds on (README "policy diff").
    expect(json.groups[0].changes).toContainEqual({
      scope: "role editor",
      role: "editor",
      direction: "widens",
      text: "gains Cosmos `documents` (every partition): all, 1h",
      access: {
        backend: "cosmos",
        target: "Cosmos `documents` (every partition)",
        before: [],
        after: [{ backend: "cosmos", access: "all", ttlSeconds: 3600 }],
        gained: [{ backend: "cosmos", access: "all", ttlSeconds: 3600 }],
        lost: [],
      },
    });
  });

  it("compares two committed revisions", async () => {
    const dir = gitRepoWithPolicies();
    edit(dir, (t) => t.replace("countries: { deny: [KP, IR] }", "countries: { deny: [KP] }"));
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "drop IR"], {
      cwd: dir,
    });
    const r = await run(["policy", "diff", "main~1", "main", "--fail-on-widen"], dir);
    expect(r.code).toBe(3);
    expect(r.out).toBe(
      "## Access policy diff: `main~1:policies` → `main:policies`\n\n**Access widens** (1 widening, 0 narrowing).\n\n### Environments `local`, `dev`, `prod`, `pr-1`\n\n**CDN edge /tenants/**\n- ⬆ widens: countries no longer denied: IR",
    );
  });

  it("exits 0 with --fail-on-widen when access only narrows", async () => {
    const dir = gitRepoWithPolicies();
    edit(dir, (t) =>
      t.replace('prefix: "/tenants/${claims.tid}/", ttl: 15m }', 'prefix: "/tenants/${claims.tid}/", ttl: 5m }'),
    );
    const r = await run(["policy", "diff", "HEAD", "policies", "--fail-on-widen", "--env", "prod"], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Access only narrows or stays the same (3 narrowing).");
    expect(r.out).toContain("- ⬇ narrows: CDN `/tenants/${claims.tid}/`: 15m → 5m");
  });
});
