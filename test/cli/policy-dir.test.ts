/** `token-broker` on any folder: the nearest policies/ from the working directory upward, or --policies <dir>. */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../lib/cli/main";
import { findPolicyDir } from "../../lib/cli/policy-dir";
import { ROOT } from "../policy/helpers";

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "tb-policy-dir-"));
  cpSync(join(ROOT, "policies"), join(repo, "team", "policies"), { recursive: true });
  mkdirSync(join(repo, "team", "app", "src"), { recursive: true });
  mkdirSync(join(repo, "elsewhere"));
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

async function run(argv: string[], cwd: string) {
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

it("finds the nearest policies/ above the working directory", async () => {
  const cwd = join(repo, "team", "app", "src");
  expect(findPolicyDir(undefined, undefined, cwd)).toBe(join("..", "..", "policies"));
  const checked = await run(["policy", "check"], cwd);
  expect(checked.code).toBe(0);
  expect(checked.out).toMatch(/^ok: .*policy\.yaml/m);
  const tested = await run(["policy", "test"], cwd);
  expect(tested.code).toBe(0);
  expect(tested.out).toMatch(/\d+ passed, 0 failed/);
});

it("--policies <dir> names the folder from anywhere", async () => {
  const { code, out } = await run(
    ["policy", "check", "--policies", join(repo, "team", "policies")],
    join(repo, "elsewhere"),
  );
  expect(code).toBe(0);
  expect(out).toMatch(/^ok: /m);
});

it("no policies/ anywhere above: a usage error that says what to do", async () => {
  const { code, err } = await run(["policy", "check"], join(repo, "elsewhere"));
  expect(code).toBe(2);
  expect(err).toContain("pass --policies <dir>");
  expect(err).toContain("token-broker init");
});

it("[dir] and a different --policies together are refused", async () => {
  const { code, err } = await run(["policy", "check", "a", "--policies", "b"], repo);
  expect(code).toBe(2);
  expect(err).toContain("name one");
});
