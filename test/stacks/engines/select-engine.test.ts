/**
 * The engine switch (lib/engine/select-engine.cjs) in a child Node, as cdktf.json's app command loads it: which
 * package each request resolves to under each engine, the clear error for an unknown engine, and the stop when
 * something reaches cdktf while cdktn is selected.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "../../policy/helpers";

const HOOK = join(ROOT, "lib", "engine", "select-engine.cjs");

function nodeWithHook(engine: string | undefined, script: string) {
  const env = { ...process.env };
  delete env.TOKEN_BROKER_ENGINE;
  if (engine !== undefined) env.TOKEN_BROKER_ENGINE = engine;
  const r = spawnSync(process.execPath, ["--require", HOOK, "-e", script], { cwd: ROOT, env, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

/** The package folder each request resolves into, as the child sees it. */
function resolvedPackages(engine: string | undefined, requests: string[]): Record<string, string> {
  const script = `
    const { sep } = require("node:path");
    const out = {};
    for (const r of ${JSON.stringify(requests)}) {
      const f = require.resolve(r);
      const m = f.split(sep + "node_modules" + sep).pop().split(sep);
      out[r] = m[0].startsWith("@") ? m[0] + "/" + m[1] : m[0];
    }
    console.log(JSON.stringify(out));`;
  const r = nodeWithHook(engine, script);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const REQUESTS = [
  "cdktf",
  "@cdktf/provider-azurerm/lib/key-vault",
  "@cdktf/provider-azurerm/lib/provider",
  "@cdktf/provider-time/lib/sleep",
  "constructs",
];

describe("the engine switch", () => {
  it.each([undefined, "", "cdktf"])("leaves every request alone when TOKEN_BROKER_ENGINE is %p", (engine) => {
    expect(resolvedPackages(engine, REQUESTS)).toEqual({
      cdktf: "cdktf",
      "@cdktf/provider-azurerm/lib/key-vault": "@cdktf/provider-azurerm",
      "@cdktf/provider-azurerm/lib/provider": "@cdktf/provider-azurerm",
      "@cdktf/provider-time/lib/sleep": "@cdktf/provider-time",
      constructs: "constructs",
    });
  });

  it("maps cdktf and the azurerm binding to CDK Terrain's under cdktn, and keeps bindings it has no build of", () => {
    expect(resolvedPackages("cdktn", REQUESTS)).toEqual({
      cdktf: "cdktn",
      "@cdktf/provider-azurerm/lib/key-vault": "@cdktn/provider-azurerm",
      "@cdktf/provider-azurerm/lib/provider": "@cdktn/provider-azurerm",
      "@cdktf/provider-time/lib/sleep": "@cdktf/provider-time",
      constructs: "constructs",
    });
  });

  it.each([
    ["@cdktf/provider-time/lib/sleep", "Sleep"],
    ["@cdktf/provider-azuread/lib/application-federated-identity-credential", "ApplicationFederatedIdentityCredential"],
  ])("makes a cdktf-built binding with no @cdktn build (%s) extend cdktn's classes under cdktn", (path, name) => {
    const script = `
      const { ${name} } = require(${JSON.stringify(path)});
      const cdktn = require(require.resolve("cdktn"));
      console.log(${name}.prototype instanceof cdktn.TerraformResource);`;
    expect(nodeWithHook("cdktn", script)).toMatchObject({ status: 0, stdout: "true" });
  });

  it("refuses an engine it does not know, naming the variable and the choices", () => {
    const r = nodeWithHook("terraform", "console.log('the app ran')");
    expect(r).toEqual({
      status: 2,
      stdout: "",
      stderr:
        'token-broker: TOKEN_BROKER_ENGINE="terraform" is not an engine this project synthesizes with; ' +
        "use cdktf or cdktn (unset means cdktf)\n",
    });
  });

  it("stops a require that reaches cdktf by a path it cannot remap while cdktn is selected", () => {
    const cdktfIndex = join(dirname(require.resolve("cdktf/package.json")), "lib", "index.js");
    const r = nodeWithHook("cdktn", `require(${JSON.stringify(cdktfIndex)})`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("TOKEN_BROKER_ENGINE=cdktn, yet");
    expect(r.stderr).toContain("resolves into cdktf");
  });

  it("applies to the token-broker command too: deploy-check synthesizes on cdktn when selected", () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-engine-cli-"));
    const record = join(dir, "engine.json");
    try {
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TOKEN_BROKER_ENGINE: "cdktn", TB_ENGINE_RECORD: record };
      const recorder = join(__dirname, "record-engine-packages.cjs");
      const bin = join(ROOT, "lib", "cli", "token-broker.cjs");
      const r = spawnSync(process.execPath, ["--require", recorder, bin, "deploy-check", "--env", "dev"], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(r.stdout).toContain("deploy-check: passed");
      const { packages } = JSON.parse(readFileSync(record, "utf8"));
      expect(packages).toEqual(expect.arrayContaining(["cdktn", "@cdktn/provider-azurerm"]));
      expect(packages).not.toContain("cdktf");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
