/**
 * `token-broker init`: a new policy repository in an empty folder that passes `policy check` and `policy test` as
 * written, and whose CDKTF app synthesizes (test/package/packed-install.test.ts runs all of it from the packed
 * tarball, `cdktf synth` included). Here: what it writes, and what it refuses.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../lib/cli/main";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-init-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

it("writes a repository whose policy checks and tests pass, keeping an existing package.json's entries", async () => {
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "team-access", dependencies: { "azure-token-broker": "file:x.tgz" } }),
  );
  mkdirSync(join(dir, "node_modules"));
  const { code, out } = await run(["init", dir]);
  expect(code).toBe(0);
  for (const path of [
    "cdktf.json",
    "main.ts",
    "README.md",
    ".github/workflows/policy-review.yml",
    ".github/workflows/ephemeral-env.yml",
    "policies/tests/access.yaml",
  ])
    expect(out).toContain(path);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  expect(manifest.name).toBe("team-access");
  expect(manifest.dependencies["azure-token-broker"]).toBe("file:x.tgz");
  expect(Object.keys(manifest.dependencies).sort()).toEqual(["azure-token-broker", "cdktf", "constructs", "tsx"]);
  expect(readFileSync(join(dir, "main.ts"), "utf8")).toContain('from "azure-token-broker/constructs"');
  expect(readFileSync(join(dir, "policies", "tests", "access.yaml"), "utf8")).toMatch(
    /^# yaml-language-server: \$schema=\.\.\/\.\.\/node_modules\/azure-token-broker\/lib\/policy\/schemas\/policy-test\.schema\.json$/m,
  );
  expect((await run(["policy", "check", "--policies", join(dir, "policies")])).code).toBe(0);
  const tested = await run(["policy", "test", join(dir, "policies")]);
  expect(tested.code).toBe(0);
  expect(tested.out).toMatch(/[1-9]\d* passed, 0 failed/);
});

it("refuses a folder with other files, and never overwrites one even with --force", async () => {
  writeFileSync(join(dir, "main.ts"), "// mine");
  const refused = await run(["init", dir]);
  expect(refused.code).toBe(1);
  expect(refused.err).toContain("is not empty (main.ts)");
  const forced = await run(["init", dir, "--force"]);
  expect(forced.code).toBe(1);
  expect(forced.err).toContain("never overwrites: main.ts");
  expect(readFileSync(join(dir, "main.ts"), "utf8")).toBe("// mine");
});
