/**
 * `token-broker deploy publish` against a contract double of ARM + the SCM site + the app (test/support/
 * app-service-double.ts), with the package and outputs of a real synthesis (app.synth() writes cdktf.out, as
 * `cdktf deploy` does before it applies).
 */
import { App } from "cdktf";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployPublishCommand, type PublishDependencies } from "../../lib/cli/deploy-publish";
import { ARM_SCOPE } from "../../lib/cli/azure-rest";
import { buildBrokerPackage } from "../../stacks/broker-package";
import { BrokerStack } from "../../stacks/broker-stack";
import { stackEnvironments } from "../../stacks/environments";
import { ROOT } from "../policy/helpers";
import { AppServiceDouble, type AppServiceDoubleOptions } from "../support/app-service-double";

const TOKEN = "eyJ0eXAiOiJKV1QifQ.test-arm-token.never-printed";
const STACK = "broker-dev";
const dev = stackEnvironments(join(ROOT, "policies")).find((s) => s.name === "dev")!;
const work = mkdtempSync(join(tmpdir(), "tb-publish-"));
const outDir = join(work, "cdktf.out");
const pkg = buildBrokerPackage(dev.runtimeConfig, join(work, "packages"));
const app = new App({ outdir: outDir });
new BrokerStack(app, STACK, { infra: dev.infra, packagePath: pkg.zipPath });
app.synth();
const synthesized = JSON.parse(readFileSync(join(outDir, "stacks", STACK, "cdk.tf.json"), "utf8"));

/** What `cdktf deploy --outputs-file` writes: `{ <stack>: { <output>: value } }`, values resolved by Terraform. */
function outputsFile(overrides: Record<string, unknown> = {}): string {
  const file = join(mkdtempSync(join(tmpdir(), "tb-outputs-")), "outputs.json");
  const stack = {
    broker_url: "https://func-docs-dev-x.azurewebsites.net/api/token",
    policy_hash: synthesized.output.policy_hash.value,
    function_app_name: "func-docs-dev-x",
    resource_group_name: "rg-docs-dev",
    subscription_id: "00000000-0000-4000-8000-0000000000aa",
    broker_package: synthesized.output.broker_package.value,
    ...overrides,
  };
  writeFileSync(file, JSON.stringify({ [STACK]: stack }));
  return file;
}

const INJECTED = "DefaultEndpointsProtocol=https;AccountName=stdocsdev;AccountKey=;EndpointSuffix=core.windows.net";

async function run(options: Partial<AppServiceDoubleOptions> = {}, args: string[] = [], outputs = outputsFile()) {
  const double = await new AppServiceDouble({
    token: TOKEN,
    subscriptionId: "00000000-0000-4000-8000-0000000000aa",
    resourceGroup: "rg-docs-dev",
    appName: "func-docs-dev-x",
    appSettings: {
      AzureWebJobsStorage: INJECTED,
      AzureWebJobsStorage__accountName: "stdocsdev",
      AzureWebJobsStorage__credential: "managedidentity",
      COSMOS_KEY: "@Microsoft.KeyVault(SecretUri=https://kv-docs-dev.vault.azure.net/secrets/cosmos-account-key/)",
    },
    ...options,
  }).start();
  const scopes: string[] = [];
  const deps: PublishDependencies = {
    credential: {
      getToken: async (scope) => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return { token: TOKEN, expiresOnTimestamp: Date.now() + 3600_000 };
      },
    },
    armEndpoint: double.url,
    urlFor: double.urlFor,
    timing: {
      pollIntervalMs: 5,
      deploymentTimeoutMs: 500,
      healthTimeoutMs: 300,
      rbacWaitMs: 200,
      restartAgainAfterMs: 100,
    },
  };
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await deployPublishCommand(
      ["--stack", STACK, "--outputs", outputs, "--out-dir", outDir, ...args],
      (s) => out.push(s),
      (s) => err.push(s),
      deps,
    );
    return { code, out, err, double, scopes, printed: [...out, ...err].join("\n") };
  } finally {
    await double.stop();
  }
}

const summary = (d: AppServiceDouble) =>
  d.requests.map(
    (r) => `${r.method} ${r.host === "arm" ? r.path.replace(d.sitePath, "<site>") : `${r.host}${r.path}`}`,
  );

it("publishes the synthesized package with One Deploy, waits for it, restarts, and waits for health", async () => {
  const r = await run({
    healthAfterRestart: [
      { status: 200, body: { status: "degraded" } },
      { status: 200, body: { status: "ok" } },
    ],
  });
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  const scm = r.double.scmHost;
  expect(summary(r.double)).toEqual([
    "GET <site>",
    "POST <site>/config/appsettings/list",
    "PUT <site>/config/appsettings",
    `POST ${scm}/api/publish`,
    `GET ${scm}/api/deployments/8d3e5a2f-0000-4000-8000-00000000d001`, // 404: not written yet
    `GET ${scm}/api/deployments/8d3e5a2f-0000-4000-8000-00000000d001`, // 2: deploying
    `GET ${scm}/api/deployments/8d3e5a2f-0000-4000-8000-00000000d001`, // 4: success
    "POST <site>/restart",
    `GET ${r.double.defaultHost}/api/health`, // degraded
    `GET ${r.double.defaultHost}/api/health`, // ok
  ]);
  // Every ARM and SCM call carries the Entra token for ARM; the health probe carries none.
  const authenticated = r.double.requests.filter((q) => q.path !== "/api/health");
  expect(authenticated.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
  expect(r.double.requests.filter((q) => q.path === "/api/health").every((q) => !q.authorization)).toBe(true);
  expect(new Set(r.scopes)).toEqual(new Set([ARM_SCOPE]));
  expect(r.double.requests.filter((q) => q.host === "arm").every((q) => q.query.get("api-version"))).toBe(true);
  // The upload is exactly the package the synthesis copied into cdktf.out, as application/zip, RemoteBuild off.
  const upload = r.double.requests.find((q) => q.path === "/api/publish")!;
  expect(upload.contentType).toBe("application/zip");
  expect(upload.query.get("RemoteBuild")).toBe("false");
  expect(upload.body.equals(readFileSync(pkg.zipPath))).toBe(true);
  // Host storage: the injected connection string is gone, everything else is written back unchanged.
  expect(r.double.settings).toEqual({
    AzureWebJobsStorage__accountName: "stdocsdev",
    AzureWebJobsStorage__credential: "managedidentity",
    COSMOS_KEY: "@Microsoft.KeyVault(SecretUri=https://kv-docs-dev.vault.azure.net/secrets/cosmos-account-key/)",
  });
  expect(r.out.join("\n")).toMatch(
    /removed AzureWebJobsStorage[\s\S]*deployment succeeded[\s\S]*restart: done[\s\S]*health: ok/,
  );
  expect(r.printed).not.toContain(TOKEN);
  expect(r.printed).not.toContain("AccountKey");
});

it("retries an upload the platform refused because the app's new storage role is not effective yet", async () => {
  const r = await run({ uploadsRefusedForStorage: 2 });
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  expect(summary(r.double).filter((l) => l.endsWith("/api/publish"))).toHaveLength(3);
  expect(r.out.filter((l) => l.includes("cannot write its deployment storage yet"))).toHaveLength(2);
});

it("restarts once more when health stays degraded (a Key Vault reference cached as failed), then succeeds", async () => {
  const r = await run({ healthyFromRestart: 2 });
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.double.restarts).toBe(2);
  expect(r.out).toContain("health: degraded; restarting once more (Key Vault references are fetched again on restart)");
});

it("leaves app settings alone when nothing was injected", async () => {
  const r = await run({ appSettings: { AzureWebJobsStorage__accountName: "stdocsdev" } });
  expect(r.code).toBe(0);
  expect(summary(r.double)).not.toContain("PUT <site>/config/appsettings");
});

it.each([
  [
    "a failed deployment stops before the restart",
    { deploymentStatuses: [{ status: 3, complete: true, status_text: "Failed to\nmount package" }] },
    /^deploy publish: wait for the deployment: failed: Failed to mount package$/,
  ],
  [
    "403 on the upload names the missing role",
    { failures: { publish: 403 } },
    /^deploy publish: publish \(One Deploy\): HTTP 403 from POST http:\/\/127\.0\.0\.1:\d+\/func-docs-dev-x\.scm\.azurewebsites\.net\/api\/publish \(publish refused\); the signed-in identity needs Microsoft\.Web\/sites\/publish\/Action/,
  ],
  [
    "an ongoing deployment (409) says so",
    { failures: { publish: 409 } },
    /HTTP 409 .* another deployment or operation is in progress/,
  ],
  [
    "a missing site points at cdktf deploy",
    { failures: { site: 404 } },
    /^deploy publish: read the site: HTTP 404 from GET .*\(ResourceNotFound ResourceNotFound here\); not found: was `cdktf deploy`/,
  ],
  ["an app that is not Flex Consumption is refused", { notFlex: true }, /is not a Flex Consumption app/],
  ["a refused restart", { failures: { restart: 409 } }, /^deploy publish: restart the app: HTTP 409/],
  [
    "health that stays degraded blames a secret setting",
    { healthyFromRestart: 99 },
    /^deploy publish: wait for health: GET .*\/api\/health: degraded after 0\.3 s; .*Key Vault reference/,
  ],
  [
    "an upload refused for storage past the RBAC wait",
    { uploadsRefusedForStorage: 10_000 },
    /^deploy publish: publish \(One Deploy\): HTTP 400 from POST .*\(BlobUploadFailedException: .*403.*\); the app's identity still cannot write its deployment container after 0\.2 s/,
  ],
  [
    "a deployment that never completes is bounded",
    { deploymentStatuses: [{ status: 1, complete: false }] },
    /wait for the deployment: not complete after 0.5 s/,
  ],
])("%s: exit 1, one line, no token", async (_name, options, message) => {
  const r = await run(options as Partial<AppServiceDoubleOptions>);
  expect(r.code).toBe(1);
  expect(r.err).toHaveLength(1);
  expect(r.err[0]).toMatch(message);
  expect(r.printed).not.toContain(TOKEN);
  if (/deployment: failed|publish \(One Deploy\)|deployment: not complete/.test(r.err[0]))
    expect(r.double.restarted).toBe(false);
});

it("a token the credential cannot get is one line, before any request", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await deployPublishCommand(
    ["--stack", STACK, "--outputs", outputsFile(), "--out-dir", outDir],
    (s) => out.push(s),
    (s) => err.push(s),
    {
      credential: {
        getToken: async () => Promise.reject(new Error("AzureCliCredential: Please run 'az login'\nmore")),
      },
    },
  );
  expect(code).toBe(1);
  expect(err).toEqual([
    "deploy publish: read the site: no Azure credential (AzureCliCredential: Please run 'az login'); run `az login`",
  ]);
});

it.each([
  [
    "a package from another policy",
    { policy_hash: "sha256:0000" },
    /policy\.json has sha256:.*the deployed stack sha256:0000; synth again/,
  ],
  ["a stack the outputs do not have", "other", /has no stack 'broker-dev'/],
  [
    "an outputs file that is not there",
    "missing",
    /outputs\.json does not exist: run `npx cdktf deploy <stack> --outputs-file/,
  ],
  [
    "outputs without the publish outputs",
    { function_app_name: undefined },
    /lacks function_app_name \(deploy this version first\)/,
  ],
  ["a broker_package outside the stack's directory", { broker_package: "../../../../etc/passwd" }, /leaves /],
])("%s: exit 2 before any Azure call", async (_name, overrides, message) => {
  const file =
    overrides === "missing"
      ? join(work, "outputs.json")
      : overrides === "other"
        ? (() => {
            const f = join(mkdtempSync(join(tmpdir(), "tb-outputs-")), "outputs.json");
            writeFileSync(f, JSON.stringify({ "broker-prod": {} }));
            return f;
          })()
        : outputsFile(overrides as Record<string, unknown>);
  const r = await run({}, [], file);
  expect(r.code).toBe(2);
  expect(r.err.join("\n")).toMatch(message);
  expect(r.double.requests).toEqual([]);
});

it("usage: --stack and --outputs are required", async () => {
  const err: string[] = [];
  expect(
    await deployPublishCommand(
      ["--stack", STACK],
      () => undefined,
      (s) => err.push(s),
    ),
  ).toBe(2);
  expect(err[0]).toMatch(/needs --stack <id> and --outputs <file>/);
});
