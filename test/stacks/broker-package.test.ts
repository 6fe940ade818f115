/** One artifact: the broker bundled with one environment's compiled policy, deployed by the stack. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { Testing } from "cdktf";
import { buildBrokerPackage } from "../../stacks/broker-package";
import { BrokerStack } from "../../stacks/broker-stack";
import { stackEnvironments } from "../../stacks/environments";
import { ROOT } from "../policy/helpers";

const prod = stackEnvironments(join(ROOT, "policies")).find((s) => s.name === "prod")!;
const out = mkdtempSync(join(tmpdir(), "tb-pkg-"));
const pkg = buildBrokerPackage(prod.runtimeConfig, out);
const files = unzipSync(readFileSync(pkg.zipPath));

it("holds the bundled broker, host and package manifests, and exactly this environment's compiled policy", () => {
  expect(Object.keys(files).sort()).toEqual(["host.json", "index.js", "package.json", "policy.json"]);
  const policy = JSON.parse(Buffer.from(files["policy.json"]).toString("utf8"));
  expect(policy).toEqual(JSON.parse(JSON.stringify(prod.runtimeConfig)));
  expect(policy.policyHash).toBe(prod.runtimeConfig.policyHash);
  expect(JSON.parse(Buffer.from(files["package.json"]).toString("utf8")).main).toBe("index.js");
});

it("is within the bundle budget and byte-identical when built again", () => {
  expect(pkg.bundleBytes).toBeLessThanOrEqual(1.5 * 1024 * 1024);
  const again = buildBrokerPackage(prod.runtimeConfig, mkdtempSync(join(tmpdir(), "tb-pkg-")));
  expect(readFileSync(again.zipPath).equals(readFileSync(pkg.zipPath))).toBe(true);
});

it("runs: the unzipped bundle, in a fresh Node process, serves health and refuses an unauthenticated token request", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-run-"));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  const script = `
    const m = require(${JSON.stringify(join(dir, "index.js"))});
    const broker = m.brokerFromEnvironment({}, m.loadRuntimeConfig(${JSON.stringify(join(dir, "policy.json"))}));
    Promise.all([
      broker.handle({ method: "GET", path: "/api/health", headers: {} }),
      broker.handle({ method: "POST", path: "/api/token", headers: { "content-type": "application/json" }, body: "{}" }),
    ]).then((r) => process.stdout.write(JSON.stringify(r.map((x) => [x.status, JSON.parse(x.body).status ?? JSON.parse(x.body)]))));
  `;
  const result = JSON.parse(
    execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
  );
  expect(result).toEqual([
    [200, "ok"],
    [401, 401],
  ]);
});

it("is what the stack deploys (zip_deploy_file from a Terraform asset)", () => {
  const stack = new BrokerStack(Testing.app(), prod.stackId, { infra: prod.infra, packagePath: pkg.zipPath });
  const json = JSON.parse(Testing.synth(stack));
  const app = Object.values(json.resource.azurerm_function_app_flex_consumption)[0] as Record<string, unknown>;
  expect(app.zip_deploy_file).toMatch(/^assets\/broker-package\/[0-9A-F]+\/broker-prod\.zip$/);
});
