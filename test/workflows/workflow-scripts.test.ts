/**
 * Every script the workflows call, run locally up to the point that needs GitHub or Azure:
 * - policy-review.sh in a real git repository (base commit, widening head commit), as the review job runs it;
 * - `pr comment` / `pr label` against a contract double of GitHub's REST API over HTTP (pagination, edit in place);
 * - `smoke` against the node:http broker with a real key server as the test identity's issuer;
 * - `env expired` over a fixture `az group list` output; `env comment` over a cdktf outputs file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker } from "../../functions-src/core";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { main } from "../../lib/cli/main";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { REVIEW_MARKER } from "../../lib/policy/review/review-comment";
import { ACTIONS_BOT, GitHubRestDouble } from "../support/github-rest-double";
import { KeyServer, makeKey } from "../support/key-server";
import { filesInMemory, loadOk, ROOT } from "../policy/helpers";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

async function cli(argv: string[], env?: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  if (env) Object.assign(process.env, env);
  try {
    const code = await main(
      argv,
      (s) => out.push(s),
      (s) => err.push(s),
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    for (const k of Object.keys(env ?? {})) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const read = (f: string) => {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return "";
  }
};

describe(".github/scripts/policy-review.sh", () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      },
    }).trim();

  function repoWithChange(edit: (policy: string) => string): { repo: string; base: string } {
    const repo = tempDir("tb-review-repo-");
    cpSync(join(ROOT, "policies"), join(repo, "policies"), { recursive: true });
    git(repo, "init", "-q", "-b", "main");
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "base");
    const base = git(repo, "rev-parse", "HEAD");
    const file = join(repo, "policies", "policy.yaml");
    writeFileSync(file, edit(readFileSync(file, "utf8")));
    git(repo, "commit", "-qam", "head");
    return { repo, base };
  }

  function runScript(
    repo: string,
    base: string | undefined,
    tokenBroker = `node ${join(ROOT, "lib", "cli", "token-broker.cjs")}`,
  ) {
    const output = join(repo, "github-output.txt");
    const summary = join(repo, "summary.md");
    writeFileSync(output, "");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      TOKEN_BROKER: tokenBroker,
    };
    delete env.BASE_SHA;
    if (base !== undefined) env.BASE_SHA = base;
    const r = spawnSync("bash", [join(ROOT, ".github", "scripts", "policy-review.sh")], {
      cwd: repo,
      encoding: "utf8",
      env,
    });
    const outputs = Object.fromEntries(
      readFileSync(output, "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split("=") as [string, string]),
    );
    return {
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      outputs,
      comment: read(join(repo, "review-comment.md")),
      summary: read(summary),
    };
  }

  function verdictStep(verdict: string, exitCode: string) {
    const r = spawnSync("bash", [join(ROOT, ".github", "scripts", "policy-review.sh"), "verdict"], {
      encoding: "utf8",
      env: { ...process.env, VERDICT: verdict, EXIT_CODE: exitCode, BASE_SHA: "" },
    });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  it("on a widening change: the step succeeds, its outputs say widens / exit 3, the comment and summary are written", () => {
    const { repo, base } = repoWithChange((p) =>
      p.replace("countries: { deny: [KP, IR] }", "countries: { deny: [KP] }"),
    );
    const r = runScript(repo, base);
    expect(r.status).toBe(0);
    expect(r.outputs).toEqual({ verdict: "widens", widens: "true", "checks-passed": "true", "exit-code": "3" });
    expect(r.comment.startsWith(REVIEW_MARKER)).toBe(true);
    expect(r.comment).toContain("countries no longer denied: IR");
    expect(r.comment).toContain(`\`${base}:policies\` → \`HEAD:policies\``);
    expect(r.summary).toContain("countries no longer denied: IR");
  });

  it("on a narrowing change: exit code 0 and verdict narrows", () => {
    const { repo, base } = repoWithChange((p) =>
      p.replace("countries: { deny: [KP, IR] }", "countries: { deny: [KP, IR, CU] }"),
    );
    const r = runScript(repo, base);
    expect(r.outputs).toMatchObject({ verdict: "narrows", widens: "false", "exit-code": "0" });
  });

  it("reviews against the merge commit's first parent, not a stale base sha (issue 22 item 15)", () => {
    // A pull_request run checks out refs/pull/<n>/merge. The base branch moved on (CU denied) after the branch was
    // cut: the change is judged against the base as merged, where the branch still widens (it drops IR).
    const { repo, base: forkPoint } = repoWithChange((p) =>
      p.replace("countries: { deny: [KP, IR] }", "countries: { deny: [KP, CU] }"),
    );
    git(repo, "branch", "-q", "feature");
    git(repo, "reset", "-q", "--hard", forkPoint);
    const file = join(repo, "policies", "policy.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("# Replace it", "# replace it"));
    git(repo, "commit", "-qam", "base moves on");
    const mainTip = git(repo, "rev-parse", "HEAD");
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "feature");
    expect(git(repo, "rev-parse", "HEAD^1")).toBe(mainTip);
    const r = runScript(repo, undefined);
    expect(r.comment).toContain(`\`${mainTip}:policies\` → \`HEAD:policies\``);
    expect(r.outputs).toMatchObject({ verdict: "widens", "exit-code": "3" });
  });

  it("a base without policies/ is the empty policy: the head widens, no crash (issue 22 item 12)", () => {
    const repo = tempDir("tb-review-repo-");
    writeFileSync(join(repo, "README.md"), "before the policy\n");
    git(repo, "init", "-q", "-b", "main");
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "no policy yet");
    const base = git(repo, "rev-parse", "HEAD");
    cpSync(join(ROOT, "policies"), join(repo, "policies"), { recursive: true });
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "add the policy");
    const r = runScript(repo, base);
    expect(r.status).toBe(0);
    expect(r.outputs).toEqual({ verdict: "widens", widens: "true", "checks-passed": "true", "exit-code": "3" });
    expect(r.comment).toContain("absent: the empty policy");
    expect(r.comment).toContain("environment added");
  });

  it("an unreadable base is a failed check (exit 1), still with a comment saying why", () => {
    const { repo } = repoWithChange((p) => p.replace("# Replace it", "# replace it"));
    const r = runScript(repo, "no-such-revision");
    expect(r.status).toBe(0);
    expect(r.outputs).toMatchObject({ "checks-passed": "false", "exit-code": "1" });
    expect(r.comment).toContain("## ❌ Access policy review: cannot compare, the base `no-such-revision` has errors");
  });

  it("a crash is reported as a crash, never as failed checks, even when it exits 1 (issue 22 item 12)", () => {
    const { repo, base } = repoWithChange((p) => p.replace("# Replace it", "# replace it"));
    for (const [cli, code] of [
      ["node -e process.exit(1)", "1"], // node's exit code for an uncaught exception
      ["node -e process.exit(70)", "70"], // token-broker.cjs's exit code for a crash
      ["node -e process.exit(2)", "2"],
    ]) {
      const r = runScript(repo, base, cli);
      expect(r.status).toBe(0);
      expect(r.outputs).toEqual({ verdict: "crashed", widens: "false", "checks-passed": "false", "exit-code": code });
      expect(r.comment.startsWith(`${REVIEW_MARKER}\n## ⚠️ Access policy review crashed (exit ${code})`)).toBe(true);
    }
  });

  it("the CLI never answers a failure that is not a verdict with 1, and prints no stack trace (issue 22 item 12)", () => {
    const { repo, base } = repoWithChange((p) => p.replace("# Replace it", "# replace it"));
    mkdirSync(join(repo, "taken"));
    // Writing the comment onto a directory fails inside the command: not a verdict. main() reports a failed file
    // operation as exit 2 (an input or output it cannot use; exit 70 is kept for bugs: test/cli/hostile-input.test.ts),
    // and the review script reads any code but 0, 1 and 3 as a crash (the test above).
    const r = spawnSync(
      "node",
      [join(ROOT, "lib", "cli", "token-broker.cjs"), "policy", "review", base, "HEAD", "--out", "taken"],
      { cwd: repo, encoding: "utf8" },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^token-broker: cannot open taken \(EISDIR\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("the verdict step passes only on 0, and names a crash as one (issue 22 items 11, 12)", () => {
    expect(verdictStep("narrows", "0")).toMatchObject({ status: 0, out: "policy review: narrows\n" });
    expect(verdictStep("widens", "3")).toMatchObject({ status: 1, out: expect.stringContaining("access widens") });
    expect(verdictStep("unchanged", "1")).toMatchObject({
      status: 1,
      out: expect.stringContaining("fails its checks or tests"),
    });
    expect(verdictStep("crashed", "1")).toMatchObject({ status: 1, out: expect.stringContaining("crashed (exit 1)") });
    expect(verdictStep("", "")).toMatchObject({ status: 1, out: expect.stringContaining("did not run") });
  });
});

describe("pr comment / pr label against GitHub's REST contract", () => {
  let gh: GitHubRestDouble;
  const env = () => ({ GITHUB_TOKEN: "ghs_test", GITHUB_REPOSITORY: "octo/broker", GITHUB_API_URL: gh.url });
  beforeEach(async () => {
    gh = await new GitHubRestDouble("octo/broker", 7, "ghs_test").start();
  });
  afterEach(() => gh.stop());

  it("creates the comment once, then edits it in place, finding it past the first page", async () => {
    // 130 unrelated comments first: the marked one sits on page 2 of 100.
    for (let i = 0; i < 130; i++) gh.comments.push({ id: i + 1, body: `comment ${i}`, user: "octocat" });
    const file = join(tempDir("tb-pr-"), "c.md");
    writeFileSync(file, `${REVIEW_MARKER}\nfirst`);
    expect((await cli(["pr", "comment", "--pr", "7", "--body-file", file], env())).out).toMatch(
      /^created comment \d+ on #7$/,
    );
    writeFileSync(file, `${REVIEW_MARKER}\nsecond`);
    expect((await cli(["pr", "comment", "--pr", "7", "--body-file", file], env())).out).toMatch(
      /^updated comment \d+ on #7$/,
    );
    const mine = gh.comments.filter((c) => c.body.includes(REVIEW_MARKER));
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toBe(`${REVIEW_MARKER}\nsecond`);
    expect(gh.requests).toContain("GET /repos/octo/broker/issues/7/comments?per_page=100&page=2");
  });

  it("never edits a marked comment someone else wrote: only the bot's own (issue 22 item 15)", async () => {
    // Anyone can paste the marker; had the bot written its verdict into this comment, its author could rewrite it.
    gh.comments.push({ id: 1, body: `${REVIEW_MARKER}\n✅ looks fine, trust me`, user: "mallory" });
    const file = join(tempDir("tb-pr-"), "c.md");
    writeFileSync(file, `${REVIEW_MARKER}\nwidens`);
    expect((await cli(["pr", "comment", "--pr", "7", "--body-file", file], env())).out).toMatch(/^created comment/);
    expect(gh.comments.find((c) => c.id === 1)!.body).toBe(`${REVIEW_MARKER}\n✅ looks fine, trust me`);
    writeFileSync(file, `${REVIEW_MARKER}\nnarrows`);
    expect((await cli(["pr", "comment", "--pr", "7", "--body-file", file], env())).out).toMatch(/^updated comment/);
    expect(gh.comments.map((c) => [c.user, c.body])).toEqual([
      ["mallory", `${REVIEW_MARKER}\n✅ looks fine, trust me`],
      [ACTIONS_BOT, `${REVIEW_MARKER}\nnarrows`],
    ]);
  });

  it("adds and removes the widening label; removing an absent label is fine", async () => {
    expect((await cli(["pr", "label", "--pr", "7", "access-widening", "--add"], env())).code).toBe(0);
    expect([...gh.labels]).toEqual(["access-widening"]);
    expect((await cli(["pr", "label", "--pr", "7", "access-widening", "--remove"], env())).code).toBe(0);
    expect((await cli(["pr", "label", "--pr", "7", "access-widening", "--remove"], env())).code).toBe(0);
    expect(gh.labels.size).toBe(0);
  });

  it("a refused token is exit 1 with the status, and the token is never printed", async () => {
    const r = await cli(["pr", "label", "--pr", "7", "x", "--add"], { ...env(), GITHUB_TOKEN: "ghs_wrong" });
    expect(r.code).toBe(1);
    expect(r.err).toBe("GitHub API add label answered 401");
    expect(r.out + r.err).not.toContain("ghs_wrong");
  });
});

describe("token-broker smoke", () => {
  let issuer: KeyServer;
  let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;
  beforeAll(async () => {
    issuer = await new KeyServer().start();
    issuer.keys = [await makeKey("k1")];
    const policy = `version: 1
issuers:
  idp: { type: oidc, issuer: ${issuer.issuer}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources:
  fluid: {}
roles:
  tester:
    when: { claim: roles, contains: smoke }
    grants:
      - fluid: { documents: "*", scopes: [doc:read], ttl: 5m }
environments: { dev: { stage: development } }
`;
    const { config } = compilePolicy(loadOk(filesInMemory(policy)), "dev");
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
    });
    broker = await startNodeHttpBroker(core);
  });
  afterAll(async () => {
    await broker.close();
    await issuer.stop();
  });
  const request = ["--request", '{"type":"fluid","documentId":"doc-1"}'];

  it("passes with health ok and one credential for the test identity, printing no token", async () => {
    const token = await issuer.sign({ sub: "smoke-tester", roles: ["smoke"], aud: "api://broker" });
    const r = await cli(["smoke", broker.url, "--token-env", "SMOKE_TOKEN", ...request], { SMOKE_TOKEN: token });
    expect(r.code).toBe(0);
    expect(r.out).toContain("health: ok");
    expect(r.out).toMatch(/token exchange: 200, 1 credential\(s\) \(fluid\), roles \["tester"\], policy sha256:/);
    expect(r.out + r.err).not.toContain(token.split(".")[2]);
  });

  it("fails on an identity the policy grants nothing, and on an unreachable broker", async () => {
    const token = await issuer.sign({ sub: "nobody", roles: ["other"], aud: "api://broker" });
    const denied = await cli(["smoke", `${broker.url}/api/token`, "--token-env", "SMOKE_TOKEN", ...request], {
      SMOKE_TOKEN: token,
    });
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^FAIL token exchange: 403/);
    const down = await cli(["smoke", "http://127.0.0.1:9", "--token-env", "SMOKE_TOKEN"], { SMOKE_TOKEN: token });
    expect(down.code).toBe(1);
    expect(down.err).toContain("cannot reach http://127.0.0.1:9");
  });
});

describe("token-broker env expired / env recheck / env comment", () => {
  const mine = (n: number, tags: Record<string, string> = {}) => ({
    name: `rg-docs-pr-${n}`,
    tags: { env: `pr-${n}`, "managed-by": "cdktf", repository: "octo/broker", ...tags },
  });
  const groups = [
    mine(12, { "expires-on": "2026-11-20" }),
    mine(13, { "expires-on": "2026-11-25" }),
    mine(14, { "expires-on": "2026-11-24" }),
    mine(15),
    mine(16, { "expires-on": "2026-02-30" }),
    { name: "rg-docs-prod", tags: { env: "prod", "managed-by": "cdktf", repository: "octo/broker" } },
    { name: "rg-someone-elses-pr-99", tags: { env: "pr-99", "expires-on": "2020-01-01" } },
    { name: "rg-untagged", tags: null },
    { name: "NetworkWatcherRG" },
  ];
  // Groups the old tag-only selection took (issue 22 item 14): another repository's group with this repository's
  // name and tags but its own repository tag; this repository's tags on another name; a name and env tag that disagree.
  const lookalikes = [
    {
      ...mine(7, { "expires-on": "2026-11-01" }),
      tags: { ...mine(7).tags, "expires-on": "2026-11-01", repository: "other/app" },
    },
    { ...mine(8, { "expires-on": "2026-11-01" }), name: "rg-shop-pr-8" },
    { ...mine(9, { "expires-on": "2026-11-01" }), tags: { ...mine(9).tags, env: "pr-10", "expires-on": "2026-11-01" } },
    {
      ...mine(11, { "expires-on": "2026-11-01" }),
      tags: { env: "pr-11", "managed-by": "cdktf", "expires-on": "2026-11-01" },
    },
  ];
  const write = (value: unknown) => {
    const file = join(tempDir("tb-env-"), "groups.json");
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  const sweep = ["--repository", "octo/broker", "--policy-dir", join(ROOT, "policies")];

  it("selects this repository's pr-<n> groups past expires-on, by name and tags; keeps today's; reports unreadable tags", async () => {
    const file = write([...groups, ...lookalikes]);
    const r = await cli([
      "env",
      "expired",
      "--resource-groups",
      file,
      ...sweep,
      "--now",
      "2026-11-25T23:59:00Z",
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([
      { resourceGroup: "rg-docs-pr-12", environment: "pr-12", pullRequest: 12, expiresOn: "2026-11-20" },
      { resourceGroup: "rg-docs-pr-14", environment: "pr-14", pullRequest: 14, expiresOn: "2026-11-24" },
    ]);
    expect(r.err.split("\n")).toEqual([
      "warning: rg-docs-pr-15 is a pr-<n> environment without a readable expires-on tag; not selected",
      "warning: rg-docs-pr-16 is a pr-<n> environment without a readable expires-on tag; not selected",
    ]);
    const text = await cli(["env", "expired", "--resource-groups", file, ...sweep, "--now", "2026-11-25"]);
    expect(text.out).toContain("2 expired, 1 live");
  });

  it("fails loudly instead of reading as nothing expired: bad input, no repository, no environments", async () => {
    expect((await cli(["env", "expired", "--resource-groups", write({ value: [] }), ...sweep])).code).toBe(1);
    const missing = join(tempDir("tb-env-"), "absent.json");
    expect((await cli(["env", "expired", "--resource-groups", missing, ...sweep])).code).toBe(1);
    const noRepo = await cli(
      ["env", "expired", "--resource-groups", write(groups), "--policy-dir", join(ROOT, "policies")],
      {
        GITHUB_REPOSITORY: "",
      },
    );
    expect([noRepo.code, noRepo.err]).toEqual([
      2,
      "--repository <owner/name> is required (GitHub Actions sets GITHUB_REPOSITORY)",
    ]);
    const noPolicy = await cli([
      "env",
      "expired",
      "--resource-groups",
      write(groups),
      "--repository",
      "octo/broker",
      "--policy-dir",
      tempDir("tb-env-"),
    ]);
    expect(noPolicy.code).toBe(1);
  });

  it("rechecks one group right before destroying: destroy only if still ours and still expired", async () => {
    const recheck = async (group: unknown, name = "rg-docs-pr-12") =>
      (await cli(["env", "recheck", "--resource-group", write(group), "--name", name, ...sweep, "--now", "2026-11-25"]))
        .out;
    expect(await recheck(mine(12, { "expires-on": "2026-11-20" }))).toBe("destroy");
    expect(await recheck(mine(12, { "expires-on": "2026-11-28" }))).toBe(
      "keep: extended since the selection: expires-on is now 2026-11-28",
    );
    expect(
      await recheck({
        ...mine(12, { "expires-on": "2026-11-20" }),
        tags: { ...mine(12).tags, repository: "x/y", "expires-on": "2026-11-20" },
      }),
    ).toBe("keep: it no longer has this repository's name and tags");
    expect(await recheck(mine(13, { "expires-on": "2026-11-20" }))).toBe(
      "keep: the group read is 'rg-docs-pr-13', not rg-docs-pr-12",
    );
    expect(
      (await cli(["env", "recheck", "--resource-group", write([]), "--name", "rg-docs-pr-12", ...sweep])).code,
    ).toBe(1);
  });

  it("renders the outputs comment with its own marker and no non-scalar output", async () => {
    const dir = tempDir("tb-env-");
    writeFileSync(
      join(dir, "outputs.json"),
      JSON.stringify({
        "broker-pr-42": {
          broker_url: "https://func-docs-pr-42.azurewebsites.net/api/token",
          policy_hash: "sha256:ab",
          nested: { x: 1 },
        },
      }),
    );
    const r = await cli([
      "env",
      "comment",
      "--outputs",
      join(dir, "outputs.json"),
      "--stack",
      "broker-pr-42",
      "--expires-on",
      "2026-11-28",
      "--smoke",
      "health: ok",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("<!-- token-broker:ephemeral-env -->\n## Ephemeral environment `pr-42` is up");
    expect(r.out).toContain("| broker_url | `https://func-docs-pr-42.azurewebsites.net/api/token` |");
    expect(r.out).toContain("after 2026-11-28");
    expect(r.out).not.toContain("nested");
  });
});

/**
 * The sweep's step scripts from ephemeral-env.yml, run as GitHub runs them (`bash --noprofile --norc -eo pipefail`,
 * the workflow's `defaults.run.shell: bash`), with `az` and `npx cdktf` as contract doubles on PATH (Azure cannot
 * run here) and `npx token-broker` the real CLI. The doubles keep the group's existence in a file and log each call.
 */
describe("ephemeral-env.yml sweep steps, run (issue 22 item 14)", () => {
  const workflowFile = join(ROOT, ".github", "workflows", "ephemeral-env.yml");
  const step = (job: string, id: (s: any) => boolean): string => {
    const w = parseYaml(readFileSync(workflowFile, "utf8")) as { jobs: Record<string, { steps: any[] }> };
    const found = w.jobs[job].steps.find(id);
    if (!found?.run) throw new Error(`no such step in ${job}`);
    return found.run as string;
  };

  interface World {
    /** `az group list` output; undefined: az fails. */
    groups?: string;
    exists?: boolean;
    group?: unknown;
    cdktf?: number;
    cdktfRemoves?: boolean;
    deleteWorks?: boolean;
    npxFails?: boolean;
  }

  function runStep(script: string, world: World) {
    const dir = tempDir("tb-step-");
    // The job's working directory is the checkout: the CLI reads policies/ from it.
    const work = join(dir, "checkout");
    mkdirSync(work);
    symlinkSync(join(ROOT, "policies"), join(work, "policies"));
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const log = join(dir, "calls.log");
    writeFileSync(join(dir, "exists"), String(world.exists ?? true));
    writeFileSync(join(dir, "group.json"), JSON.stringify(world.group ?? {}));
    writeFileSync(join(dir, "groups.json"), world.groups ?? "");
    writeFileSync(
      join(bin, "az"),
      `#!/usr/bin/env bash
echo "az $*" >> "${log}"
case "$1 $2" in
  "group list") ${world.groups === undefined ? 'echo "ERROR: AADSTS700024" >&2; exit 1' : `cat "${join(dir, "groups.json")}"`} ;;
  "group exists") cat "${join(dir, "exists")}" ;;
  "group show") cat "${join(dir, "group.json")}" ;;
  "group delete") ${world.deleteWorks === false ? "exit 0" : `echo false > "${join(dir, "exists")}"`} ;;
  *) echo "unexpected az $*" >&2; exit 9 ;;
esac
`,
    );
    writeFileSync(
      join(bin, "npx"),
      `#!/usr/bin/env bash
echo "npx $*" >> "${log}"
case "$1" in
  cdktf) ${world.cdktfRemoves ? `echo false > "${join(dir, "exists")}";` : ""} exit ${world.cdktf ?? 0} ;;
  token-broker) ${world.npxFails ? "exit 1" : `shift; exec node "${join(ROOT, "lib", "cli", "token-broker.cjs")}" "$@"`} ;;
esac
exit 9
`,
    );
    chmodSync(join(bin, "az"), 0o755);
    chmodSync(join(bin, "npx"), 0o755);
    const output = join(dir, "github-output");
    writeFileSync(output, "");
    const scriptFile = join(dir, "step.sh");
    writeFileSync(scriptFile, script);
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", scriptFile], {
      cwd: work,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        GITHUB_OUTPUT: output,
        GITHUB_REPOSITORY: "octo/broker",
        TOKEN_BROKER_PR: "12",
        RESOURCE_GROUP: "rg-docs-pr-12",
      },
    });
    return {
      status: r.status,
      out: r.stdout + r.stderr,
      output: readFileSync(output, "utf8"),
      calls: read(log).trim().split("\n"),
      exists: readFileSync(join(dir, "exists"), "utf8").trim(),
    };
  }

  const group = (expiresOn: string) => ({
    name: "rg-docs-pr-12",
    tags: { env: "pr-12", "managed-by": "cdktf", repository: "octo/broker", "expires-on": expiresOn },
  });
  const select = () => step("find-expired", (s) => s.id === "select");
  const recheck = () => step("destroy-expired", (s) => s.id === "recheck");
  const destroy = () => step("destroy-expired", (s) => String(s.run ?? "").includes("cdktf destroy"));

  it("selection: a failing selection fails the step, never an empty list", () => {
    const ok = runStep(select(), { groups: JSON.stringify([group("2020-01-01")]) });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.output.replace(/^expired=/, ""))).toEqual([
      { resourceGroup: "rg-docs-pr-12", environment: "pr-12", pullRequest: 12, expiresOn: "2020-01-01" },
    ]);
    expect(runStep(select(), { groups: undefined }).status).not.toBe(0);
    const cliFails = runStep(select(), { groups: "[]", npxFails: true });
    expect(cliFails.status).not.toBe(0);
    expect(cliFails.output).toBe("");
  });

  it("re-check: destroy when still expired, keep when a push extended it, nothing when already gone", () => {
    expect(runStep(recheck(), { group: group("2020-01-01") }).output).toBe("decision=destroy\n");
    const extended = runStep(recheck(), { group: group("2999-01-01") });
    expect(extended.output).toBe("decision=keep\n");
    expect(extended.out).toContain("keep: extended since the selection: expires-on is now 2999-01-01");
    expect(runStep(recheck(), { exists: false }).output).toBe("decision=gone\n");
  });

  it("destroy: a destroy that 'succeeds' with no state still ends with the group deleted, and verified gone", () => {
    const noState = runStep(destroy(), { cdktf: 0 });
    expect(noState.status).toBe(0);
    expect(noState.calls).toContain("az group delete --name rg-docs-pr-12 --yes");
    expect(noState.exists).toBe("false");
    const failed = runStep(destroy(), { cdktf: 1 });
    expect([failed.status, failed.exists]).toEqual([0, "false"]);
    const stuck = runStep(destroy(), { cdktf: 0, deleteWorks: false });
    expect(stuck.status).toBe(1);
    expect(stuck.out).toContain("::error::rg-docs-pr-12 still exists after cdktf destroy and az group delete");
  });

  it("destroy: a group cdktf removed is not deleted again", () => {
    const r = runStep(destroy(), { cdktf: 0, cdktfRemoves: true });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("az group delete"))).toEqual([]);
  });
});
