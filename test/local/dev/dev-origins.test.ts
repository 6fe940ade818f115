/**
 * Your own app against `npm run dev`: the origins in `local.allowedOrigins` are honoured beside the demo page's
 * (they used to be overwritten with it), `--origin <url>` adds one, the banner lists them, and `npm run dev --
 * --help` prints the flags instead of starting anything.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { banner } from "../../../lib/local/dev/banner";
import type { DevEnvironment } from "../../../lib/local/dev/dev-environment";
import { originsFrom } from "../../../lib/local/dev/dev-usage";
import { compileLocal } from "../../../lib/local/dev/local-policy";

const ROOT = join(__dirname, "..", "..", "..");
const DEMO = "http://127.0.0.1:7070";
const ISSUER = "http://127.0.0.1:7071";
let policies: string;

beforeAll(() => {
  policies = join(mkdtempSync(join(tmpdir(), "tb-dev-origins-")), "policies");
  cpSync(join(ROOT, "policies"), policies, { recursive: true });
  const file = join(policies, "environments.yaml");
  const text = readFileSync(file, "utf8");
  const edited = text.replace(
    'allowedOrigins: ["http://127.0.0.1:7070"]',
    'allowedOrigins: ["http://127.0.0.1:7070", "http://127.0.0.1:5173"]',
  );
  expect(edited).not.toBe(text);
  writeFileSync(file, edited);
});
afterAll(() => rmSync(join(policies, ".."), { recursive: true, force: true }));

it("local.allowedOrigins and --origin are allowed beside the demo page's origin", () => {
  const compiled = compileLocal(policies, ISSUER, "http://127.0.0.1:9000", ["http://localhost:8080"]);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  expect(compiled.config.cors?.allowedOrigins).toEqual([
    "http://127.0.0.1:9000",
    DEMO,
    "http://127.0.0.1:5173",
    "http://localhost:8080",
  ]);
});

it("the banner lists the origins", () => {
  const compiled = compileLocal(policies, ISSUER, DEMO, ["http://localhost:8080"]);
  if (!compiled.ok) throw new Error("policy");
  const env = {
    urls: { demo: DEMO, issuer: ISSUER, broker: "b", fluid: "f", storage: "s", cosmos: "c", cdn: "e" },
    policy: () => ({ config: compiled.config }),
    audience: "api://x",
    noteId: "n",
    cosmosIsStandIn: true,
  } as unknown as DevEnvironment;
  expect(banner(env, 1000)).toMatch(
    /^ {2}origins +http:\/\/127\.0\.0\.1:7070, http:\/\/127\.0\.0\.1:5173, http:\/\/localhost:8080 /m,
  );
});

it("--origin takes an origin, nothing more", () => {
  expect(originsFrom(["--origin", "http://localhost:5173", "--port", "1", "--origin", "https://app.test/"])).toEqual([
    "http://localhost:5173",
    "https://app.test",
  ]);
  expect(() => originsFrom(["--origin", "http://localhost:5173/app"])).toThrow(/no path/);
  expect(() => originsFrom(["--origin"])).toThrow(/takes an origin/);
  expect(() => originsFrom(["--origin", "file:///x"])).toThrow(/takes an origin/);
});

it("npm run dev -- --help prints the flags and starts nothing", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "lib", "local", "dev", "main.ts"), "--help"], {
    encoding: "utf8",
    timeout: 30_000,
    cwd: ROOT,
  });
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^usage: npm run dev -- \[options\]/);
  for (const flag of ["--port <n>", "--policies <dir>", "--origin <url>", "-h, --help"])
    expect(run.stdout).toContain(flag);
  expect(run.stdout).not.toContain("starting the local environment");
}, 40_000);
