/**
 * cdktf.json's app runner (lib/engine/run-app.cjs), in child processes as `cdktf synth` starts it: each file keeps
 * its own __dirname, an edit reaches the next run, errors keep their message and exit code, and the project's app
 * synthesizes the same stacks as under tsx, which ran it before.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../policy/helpers";
import { workflowEnvironment } from "./synth-app";

const RUNNER = join(ROOT, "lib", "engine", "run-app.cjs");
let dir: string;
let entry: string;

function run(file: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [RUNNER, file], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tb-run-app-"));
  // A name of its own, so this test's bundle and cache entry are found and removed without touching the project's.
  entry = join(dir, `fixture-${process.pid}-${Math.random().toString(36).slice(2)}.ts`);
  mkdirSync(join(dir, "nested"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  const stem = entry.split("/").pop()!.replace(/\.ts$/, "");
  for (const [folder, prefix] of [
    [join(ROOT, ".gen", "app"), stem],
    [join(ROOT, ".gen", "cache"), `app-${stem}`],
  ]) {
    for (const f of readdirSync(folder)) if (f.startsWith(prefix)) rmSync(join(folder, f), { force: true });
  }
});

it("gives every bundled file its own __dirname and __filename", () => {
  writeFileSync(join(dir, "nested", "where.ts"), "export const where = () => [__dirname, __filename];\n");
  writeFileSync(
    entry,
    'import { where } from "./nested/where";\nconsole.log(JSON.stringify([__dirname, ...where()]));\n',
  );
  const r = run(entry);
  expect(r.stderr).toBe("");
  expect(JSON.parse(r.stdout)).toEqual([dir, join(dir, "nested"), join(dir, "nested", "where.ts")]);
});

it("runs the edited app after an edit, not the cached bundle", () => {
  writeFileSync(join(dir, "nested", "word.ts"), 'export const word = "before";\n');
  writeFileSync(entry, 'import { word } from "./nested/word";\nconsole.log(word);\n');
  expect(run(entry).stdout).toBe("before");
  expect(run(entry).stdout).toBe("before");
  writeFileSync(join(dir, "nested", "word.ts"), 'export const word = "after";\n');
  expect(run(entry).stdout).toBe("after");
});

it("an error the app throws exits 1 with its message, and the stack names the file's line in the bundle", () => {
  writeFileSync(entry, 'const x: number = 1;\nthrow new Error("storage account name too long: " + x);\n');
  const r = run(entry);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("Error: storage account name too long: 1");
  expect(r.stderr).toMatch(/\.gen\/app\/fixture-[\w-]+\.cjs:\d+:\d+/);
});

it("a syntax error exits 1 naming the source file, line and column", () => {
  writeFileSync(entry, "const ok = 1;\nconst broken = ;\n");
  const r = run(entry);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${entry.split("/").pop()}:2:15`);
  expect(r.stderr).toMatch(/Unexpected ";"/);
});

it("with TOKEN_BROKER_APP_SOURCE_MAPS=1, stack traces name the TypeScript source's line", () => {
  writeFileSync(entry, '\n\nfunction fail(): never {\n  throw new Error("mapped");\n}\nfail();\n');
  const r = run(entry, { ...process.env, TOKEN_BROKER_APP_SOURCE_MAPS: "1" });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${entry}:4:9`);
});

it("synthesizes the project's stacks exactly as tsx did: the same cdk.tf.json for every stack", () => {
  const synth = (args: string[]) => {
    const out = mkdtempSync(join(tmpdir(), "tb-run-app-out-"));
    const r = spawnSync(process.execPath, args, {
      cwd: ROOT,
      env: { ...workflowEnvironment("17", "cdktf"), CDKTF_OUTDIR: out },
      encoding: "utf8",
      timeout: 180_000,
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    const stacks = Object.fromEntries(
      Object.entries(manifest.stacks as Record<string, { synthesizedStackPath: string }>).map(([id, s]) => [
        id,
        readFileSync(join(out, s.synthesizedStackPath), "utf8"),
      ]),
    );
    rmSync(out, { recursive: true, force: true });
    return { stacks, warnings: r.stdout + r.stderr };
  };
  const runner = synth([RUNNER, "stacks/main.ts"]);
  const tsx = synth([
    "--require",
    join(ROOT, "lib", "engine", "select-engine.cjs"),
    "--import",
    "tsx",
    "stacks/main.ts",
  ]);
  expect(Object.keys(runner.stacks).sort()).toEqual(["broker-bootstrap", "broker-dev", "broker-pr-17", "broker-prod"]);
  expect(runner.stacks).toEqual(tsx.stacks);
  expect(runner.warnings).toBe(tsx.warnings);
}, 240_000);
