/**
 * Both packages as a user gets them: `npm pack`, then `npm install <tarball>` into fresh projects in the temporary
 * directory, outside the repository (no workspace link, dependencies from the npm registry):
 * (a) a browser app bundled by esbuild using `@azure-token-broker/client`, `/fluid` and `/cosmos`;
 * (b) a Node ES module and (c) a CommonJS script that use the client against a broker contract double (node:http);
 * (d) `tsc --noEmit` over an app using all three entry points, with moduleResolution node16 and bundler;
 * (e) `npx token-broker init` in an empty folder, then `policy check`, `policy test` and `cdktf synth` there.
 * It prints the tarball sizes and installed package counts (README "Client SDK" quotes them). Slow: npm installs.
 * The CLI tools the test itself drives (esbuild, tsc, cdktf-cli) are this repository's; what they build is the
 * installed packages.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const ROOT = join(__dirname, "..", "..");
const MINUTES = 60_000;
const rootManifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const versionOf = (name: string) => rootManifest.dependencies[name] ?? rootManifest.devDependencies[name];

let work: string;
let clientTarball: string;
let rootTarball: string;
let broker: Server;
let brokerUrl: string;
const figures: string[] = [];

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CHECKPOINT_DISABLE: "1", NO_UPDATE_NOTIFIER: "1", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * The command's exit code and output, without blocking this process: the scripts call the broker double served
 * from here, which a synchronous child would starve.
 */
function runAsync(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => resolve({ code, output }));
  });
}

function npmInstall(cwd: string, specs: string[]): void {
  sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...specs], cwd);
}

function freshProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }));
  return dir;
}

/** Packages npm installed (package-lock entries under node_modules), the project itself excluded. */
function installedCount(project: string): number {
  const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8"));
  return Object.keys(lock.packages).filter((p) => p.startsWith("node_modules/")).length;
}

function pack(dir: string, extra: string[] = []): string {
  const name = sh("npm", ["pack", "--silent", "--pack-destination", work, ...extra], dir)
    .trim()
    .split("\n")
    .pop()!;
  return join(work, name);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tb-packed-"));
  expect(work.startsWith(ROOT)).toBe(false);
  clientTarball = pack(join(ROOT, "lib", "client"));
  // The root's `prepare` builds the client for this repository's own use; the tarball does not need it.
  rootTarball = pack(ROOT, ["--ignore-scripts"]);
  // A contract double of the broker's POST /api/token (README "Broker contract"): one CDN credential per request.
  broker = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const ok = req.method === "POST" && req.headers.authorization === "Bearer user-token";
      const requests = ok ? JSON.parse(body).requests : [];
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          policy: "sha256:double",
          subject: "user",
          roles: ["reader"],
          credentials: requests.map((r: { path: string }) => ({
            type: "cdn",
            path: r.path,
            url: `https://cdn.example${r.path}?sig=double`,
            expiresAt: new Date(Date.now() + 600_000).toISOString(),
          })),
          denied: [],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => broker.listen(0, "127.0.0.1", resolve));
  brokerUrl = `http://127.0.0.1:${(broker.address() as AddressInfo).port}`;
}, 5 * MINUTES);

afterAll(async () => {
  await new Promise((resolve) => broker?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
  if (figures.length > 0) console.log(["packed packages:", ...figures].join("\n  "));
});

describe("the client package, installed from its tarball", () => {
  let app: string;

  beforeAll(() => {
    const alone = freshProject("client-alone");
    npmInstall(alone, [clientTarball]);
    figures.push(
      `@azure-token-broker/client tarball ${(statSync(clientTarball).size / 1024).toFixed(1)} KiB; installed alone: ${installedCount(alone)} package(s)`,
    );
    expect(installedCount(alone)).toBe(1);
    app = freshProject("client-app");
    npmInstall(app, [
      clientTarball,
      `@azure/cosmos@${versionOf("@azure/cosmos")}`,
      `@fluidframework/azure-client@${versionOf("@fluidframework/azure-client")}`,
    ]);
    expect(readFileSync(join(app, "package.json"), "utf8")).toContain("azure-token-broker-client-");
    expect(statSync(join(app, "node_modules", "@azure-token-broker", "client")).isSymbolicLink()).toBe(false);
  }, 10 * MINUTES);

  const useAll = (imports: string) => `${imports}
const broker = new BrokerClient({ brokerUrl: process.env.BROKER_URL, getAccessToken: async () => "user-token" });
const provider = new BrokerFluidTokenProvider(broker);
const url = await broker.signedUrl("/public/a.png");
console.log(JSON.stringify({ url, fluid: typeof provider.fetchOrdererToken, cosmos: typeof createCosmosClient }));`;

  it("(a) bundles for the browser with esbuild from ./, ./fluid and ./cosmos", async () => {
    writeFileSync(
      join(app, "browser.js"),
      `import { BrokerClient } from "@azure-token-broker/client";
import { BrokerFluidTokenProvider } from "@azure-token-broker/client/fluid";
import { createCosmosClient } from "@azure-token-broker/client/cosmos";
window.app = { BrokerClient, BrokerFluidTokenProvider, createCosmosClient };`,
    );
    const result = await build({
      absWorkingDir: app,
      entryPoints: ["browser.js"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    for (const entry of ["index", "fluid", "cosmos"])
      expect(inputs).toContain(`node_modules/@azure-token-broker/client/dist/${entry}.mjs`);
    expect(inputs.filter((i) => i.startsWith("node:"))).toEqual([]);
    expect(inputs.some((i) => i.startsWith("node_modules/@azure/cosmos/"))).toBe(true);
  });

  it("(b) runs as an ES module in Node", async () => {
    writeFileSync(
      join(app, "app.mjs"),
      useAll(`import { BrokerClient } from "@azure-token-broker/client";
import { BrokerFluidTokenProvider } from "@azure-token-broker/client/fluid";
import { createCosmosClient } from "@azure-token-broker/client/cosmos";`),
    );
    const run = await runAsync(process.execPath, ["app.mjs"], app, { BROKER_URL: brokerUrl });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.output)).toEqual({
      url: "https://cdn.example/public/a.png?sig=double",
      fluid: "function",
      cosmos: "function",
    });
  });

  it("(c) runs as CommonJS in Node", async () => {
    writeFileSync(
      join(app, "app.cjs"),
      `(async () => {${useAll(`const { BrokerClient } = require("@azure-token-broker/client");
const { BrokerFluidTokenProvider } = require("@azure-token-broker/client/fluid");
const { createCosmosClient } = require("@azure-token-broker/client/cosmos");`)}})();`,
    );
    const run = await runAsync(process.execPath, ["app.cjs"], app, { BROKER_URL: brokerUrl });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.output).url).toBe("https://cdn.example/public/a.png?sig=double");
  });

  it.each([
    ["node16", { module: "node16", moduleResolution: "node16" }, ["typed.mts", "typed.cts"]],
    ["bundler", { module: "esnext", moduleResolution: "bundler" }, ["typed.mts"]],
  ])("(d) type-checks with moduleResolution %s", (name, options, files) => {
    const body = `
import type { ITokenProvider } from "@fluidframework/azure-client";
import type { CosmosClient } from "@azure/cosmos";
const broker = new BrokerClient({ brokerUrl: "https://broker.example", getAccessToken: async () => "t" });
export const provider: ITokenProvider = new BrokerFluidTokenProvider(broker);
export const cosmos: Promise<CosmosClient> = createCosmosClient(broker, { containers: ["profiles"] });
export async function logo(): Promise<string> {
  try { return await broker.signedUrl("/logo.png"); }
  catch (e) { if (e instanceof BrokerProblemError && e.code === "forbidden") return ""; throw e; }
}`;
    writeFileSync(
      join(app, "typed.mts"),
      `import { BrokerClient, BrokerProblemError } from "@azure-token-broker/client";
import { BrokerFluidTokenProvider } from "@azure-token-broker/client/fluid";
import { createCosmosClient } from "@azure-token-broker/client/cosmos";${body}`,
    );
    writeFileSync(
      join(app, "typed.cts"),
      `import { BrokerClient, BrokerProblemError } from "@azure-token-broker/client";
import { BrokerFluidTokenProvider } from "@azure-token-broker/client/fluid";
import { createCosmosClient } from "@azure-token-broker/client/cosmos";${body}`,
    );
    const config = `tsconfig.${name}.json`;
    writeFileSync(
      join(app, config),
      JSON.stringify({
        compilerOptions: {
          ...options,
          target: "es2022",
          lib: ["es2022", "dom"],
          strict: true,
          noEmit: true,
          types: [],
          skipLibCheck: true,
        },
        files,
      }),
    );
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const typecheck = () => spawnSync(process.execPath, [tsc, "-p", config], { cwd: app, encoding: "utf8" });
    const clean = typecheck();
    expect(clean.stdout + clean.stderr).toBe("");
    expect(clean.status).toBe(0);
    // The check can fail: a wrong type in the app is an error here.
    writeFileSync(
      join(app, "typed.mts"),
      readFileSync(join(app, "typed.mts"), "utf8") + `\nexport const wrong: number = broker;`,
    );
    const broken = typecheck();
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toContain("error TS2322");
  });
});

describe("the tool package, installed from its tarball", () => {
  it(
    "(e) init in an empty folder, then policy check, policy test and cdktf synth pass there",
    async () => {
      const repo = join(work, "platform");
      mkdirSync(repo);
      npmInstall(repo, [rootTarball]);
      figures.push(
        `azure-token-broker tarball ${(statSync(rootTarball).size / 1024).toFixed(1)} KiB; installed: ${installedCount(repo)} package(s) (today the client ships inside it)`,
      );
      expect(statSync(join(repo, "node_modules", "azure-token-broker")).isSymbolicLink()).toBe(false);
      const init = await runAsync("npx", ["--no-install", "token-broker", "init"], repo);
      expect(init).toMatchObject({ code: 0 });
      const check = await runAsync("npx", ["--no-install", "token-broker", "policy", "check"], repo);
      expect(check.output).toMatch(/^ok: /m);
      expect(check.code).toBe(0);
      const test = await runAsync("npx", ["--no-install", "token-broker", "policy", "test"], repo);
      expect(test.output).toMatch(/[1-9]\d* passed, 0 failed/);
      expect(test.code).toBe(0);
      const synth = await runAsync(join(ROOT, "node_modules", ".bin", "cdktf"), ["synth"], repo);
      expect(synth.output).toContain("Generated Terraform code for the stacks");
      expect(synth.code).toBe(0);
      for (const stack of ["broker-dev", "broker-prod"]) {
        const tf = JSON.parse(readFileSync(join(repo, "cdktf.out", "stacks", stack, "cdk.tf.json"), "utf8"));
        expect(Object.keys(tf.resource)).toContain("azurerm_function_app_flex_consumption");
      }
      expect(existsSync(join(repo, ".gen", "packages"))).toBe(true);
    },
    20 * MINUTES,
  );
});
