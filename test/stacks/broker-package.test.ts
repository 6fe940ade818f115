/** One artifact: the broker bundled with one environment's compiled policy, deployed by the stack. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { Testing } from "cdktf";
import { buildBrokerPackage, unpackBrokerPackage } from "../../stacks/broker-package";
import { BrokerStack } from "../../stacks/broker-stack";
import { stackEnvironments } from "../../stacks/environments";
import { ROOT } from "../policy/helpers";

const prod = stackEnvironments(join(ROOT, "policies")).find((s) => s.name === "prod")!;
const out = mkdtempSync(join(tmpdir(), "tb-pkg-"));
const pkg = buildBrokerPackage(prod.runtimeConfig, out);
const files = unzipSync(readFileSync(pkg.zipPath));

it("holds the bundled broker, its SDK files, host and package manifests, and exactly this environment's compiled policy", () => {
  expect(Object.keys(files).sort()).toEqual([
    "host.json",
    "index.js",
    "package.json",
    "policy.json",
    "sdk/cosmos.js",
    "sdk/identity.js",
    "sdk/redis.js",
    "sdk/storage.js",
  ]);
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

it("leaves a package holding the same files where it is, and makes again one that differs or was changed on disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-pkg-"));
  const first = buildBrokerPackage(prod.runtimeConfig, dir);
  const inode = statSync(first.zipPath).ino;
  buildBrokerPackage(prod.runtimeConfig, dir);
  expect(statSync(first.zipPath).ino).toBe(inode); // a write renames a new file into place
  process.env.TOKEN_BROKER_BUILD_CACHE = "off"; // as a fresh clone's first synth: always written
  try {
    buildBrokerPackage(prod.runtimeConfig, dir);
  } finally {
    delete process.env.TOKEN_BROKER_BUILD_CACHE;
  }
  expect(statSync(first.zipPath).ino).not.toBe(inode);
  writeFileSync(first.zipPath, "not the package");
  buildBrokerPackage(prod.runtimeConfig, dir);
  expect(readFileSync(first.zipPath).equals(readFileSync(pkg.zipPath))).toBe(true);
  const changed = { ...prod.runtimeConfig, policyHash: "sha256:another" };
  buildBrokerPackage(changed, dir);
  const policy = JSON.parse(Buffer.from(unzipSync(readFileSync(first.zipPath))["policy.json"]).toString("utf8"));
  expect(policy.policyHash).toBe("sha256:another");
});

it("keeps the Azure SDKs and ioredis out of index.js: it requires each SDK file, and carries none of their code", () => {
  const index = Buffer.from(files["index.js"]).toString("utf8");
  expect([...index.matchAll(/require\("(\.\/sdk\/[a-z]+)"\)/g)].map((m) => m[1]).sort()).toEqual([
    "./sdk/cosmos",
    "./sdk/identity",
    "./sdk/redis",
    "./sdk/storage",
  ]);
  // A text each SDK carries (a header it sends, an endpoint it calls, an error it throws): in its own file only.
  const markers = {
    "sdk/cosmos.js": "x-ms-documentdb",
    "sdk/identity.js": "169.254.169.254",
    "sdk/redis.js": "MaxRetriesPerRequestError",
    "sdk/storage.js": "x-ms-blob-type",
  };
  for (const [file, marker] of Object.entries(markers)) {
    const inIndex = index.includes(marker);
    const inOwnFile = Buffer.from(files[file]).toString("utf8").includes(marker);
    expect({ marker, inIndex, inOwnFile }).toEqual({ marker, inIndex: false, inOwnFile: true });
  }
  expect(pkg.bundleBytes).toBeLessThan(0.4 * 1024 * 1024);
});

const run = (dir: string, script: string) =>
  JSON.parse(
    execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
  );

it("runs: the unzipped bundle, in a fresh Node process, serves health and refuses an unauthenticated token request, loading no SDK", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-run-"));
  unpackBrokerPackage(pkg.zipPath, dir);
  const script = `
    const m = require(${JSON.stringify(join(dir, "index.js"))});
    const broker = m.brokerFromEnvironment({}, m.loadRuntimeConfig(${JSON.stringify(join(dir, "policy.json"))}));
    Promise.all([
      broker.handle({ method: "GET", path: "/api/health", headers: {} }),
      broker.handle({ method: "POST", path: "/api/token", headers: { "content-type": "application/json" }, body: "{}" }),
    ]).then((r) => process.stdout.write(JSON.stringify({
      answers: r.map((x) => [x.status, JSON.parse(x.body).status ?? JSON.parse(x.body)]),
      sdks: Object.keys(require.cache).filter((f) => f.includes("sdk")),
    })));
  `;
  expect(run(dir, script)).toEqual({
    answers: [
      [200, "ok"],
      [401, 401],
    ],
    sdks: [],
  });
});

it("runs: an SDK file loads from beside index.js when first needed (a shared store names Redis), and each exports what the broker uses", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-run-"));
  unpackBrokerPackage(pkg.zipPath, dir);
  // Port 1 refuses at once: the store cannot connect, but ioredis has to be loaded to find that out.
  const script = `
    const m = require(${JSON.stringify(join(dir, "index.js"))});
    const broker = m.brokerFromEnvironment({ SHARED_STORE_URL: "redis://127.0.0.1:1" }, m.loadRuntimeConfig(${JSON.stringify(join(dir, "policy.json"))}));
    broker.handle({ method: "GET", path: "/api/health", headers: {} }).then((health) => {
      const loaded = Object.keys(require.cache).filter((f) => f.includes("sdk")).map((f) => f.slice(${JSON.stringify(dir)}.length));
      const exports = Object.fromEntries(["cosmos", "identity", "redis", "storage"].map((n) => {
        const sdk = require(${JSON.stringify(dir)} + "/sdk/" + n + ".js");
        return [n, Object.keys(sdk).sort().map((k) => k + ":" + typeof sdk[k])];
      }));
      process.stdout.write(JSON.stringify({ health: health.status, loaded, exports }));
      process.exit(0);
    });
  `;
  const result = run(dir, script);
  expect(result.loaded).toEqual(["/sdk/redis.js"]);
  expect(result.health).toBe(503);
  expect(result.exports).toEqual({
    cosmos: ["CosmosClient:function", "ErrorResponse:function"],
    identity: ["ManagedIdentityCredential:function"],
    redis: ["Redis:function"],
    storage: [
      "BlobSASPermissions:function",
      "BlobServiceClient:function",
      "SASProtocol:object",
      "StorageSharedKeyCredential:function",
      "generateBlobSASQueryParameters:function",
    ],
  });
});

it("is a synth-time artifact of the stack, named by its broker_package output; no resource zip-deploys it", () => {
  const stack = new BrokerStack(Testing.app(), prod.stackId, { infra: prod.infra, packagePath: pkg.zipPath });
  const json = JSON.parse(Testing.synth(stack));
  const site = Object.values(json.resource.azurerm_function_app_flex_consumption)[0] as Record<string, unknown>;
  expect(site.zip_deploy_file).toBeUndefined();
  expect(json.output.broker_package.value).toMatch(/^assets\/broker-package\/[0-9A-F]+\/broker-prod\.zip$/);
});
