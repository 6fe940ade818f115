/**
 * `token-broker deploy publish --stack <id> --outputs <outputs.json> [--package <zip>] [--out-dir cdktf.out]`: the
 * step after `cdktf deploy <stack> --outputs-file outputs.json`. It
 *  1. finds the broker package this synthesis built (the `broker_package` output, under cdktf.out) and checks that its
 *     policy.json carries the deployed `policy_hash`;
 *  2. reads the site from ARM (its SCM host is the hostNameSslStates entry of type Repository, as azurerm's own
 *     publish helper finds it: internal/services/appservice/helpers/publish_app.go:33-38 at v4.55.0);
 *  3. removes the provider-injected `AzureWebJobsStorage` connection string (host-storage-settings.ts);
 *  4. publishes with One Deploy, the only push deployment Flex Consumption takes (learn.microsoft.com/azure/
 *     azure-functions/functions-deployment-technologies; zip deploy is not supported: learn.microsoft.com/azure/
 *     azure-functions/deployment-zip-push): `POST https://<scm>/api/publish?RemoteBuild=false` with the zip as
 *     `application/zip` and an Entra (ARM) bearer token, then polls `/api/deployments/<id>` until `complete`
 *     (Kudu status 4 = success, 3 = failed). Request shape as Azure CLI sends it for Flex apps
 *     (azure-cli, appservice/custom.py `enable_zip_deploy_flex`); RemoteBuild=false because the package is built;
 *  5. restarts the app through ARM (learn.microsoft.com/rest/api/appservice/web-apps/restart), so Key Vault
 *     references are fetched again now that the broker's secret-reader role exists (App Service caches a failed
 *     reference until a restart or config change: learn.microsoft.com/azure/app-service/app-service-key-vault-references);
 *  6. polls GET /api/health until `{"status":"ok"}` ("degraded" means a secret setting did not resolve), bounded.
 * Exit 0 published and healthy, 1 a step failed (one line, never a token), 2 usage or unreadable inputs.
 */
import type { TokenCredential } from "@azure/identity";
import { unzipSync } from "fflate";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCommandArgs } from "./parse-command-args";
import { ARM_ENDPOINT, AzureRest, DeployStepError, WEB_API_VERSION } from "./azure-rest";
import { withIdentityHostStorage } from "./host-storage-settings";

type Print = (s: string) => void;

export interface PublishTiming {
  /** @default 5000 */
  readonly pollIntervalMs: number;
  /** Until the deployment completes. @default 15 min */
  readonly deploymentTimeoutMs: number;
  /** Until /api/health answers ok after the restart. @default 5 min */
  readonly healthTimeoutMs: number;
  /** How long an upload refused for the app's own storage access is retried (a new role propagating). @default 5 min */
  readonly rbacWaitMs: number;
  /** Health still degraded this long after the restart: restart once more. @default 2 min */
  readonly restartAgainAfterMs: number;
}

export interface PublishDependencies {
  /** @default AzureCliCredential/DefaultAzureCredential: `az login` locally, azure/login in GitHub Actions */
  readonly credential?: TokenCredential;
  readonly fetch?: typeof fetch;
  /** @default https://management.azure.com */
  readonly armEndpoint?: string;
  /** Base URL of a site host name. @default `https://${host}` (tests point it at a contract double) */
  readonly urlFor?: (host: string) => string;
  readonly timing?: Partial<PublishTiming>;
}

const DEFAULT_TIMING: PublishTiming = {
  pollIntervalMs: 5000,
  deploymentTimeoutMs: 15 * 60_000,
  healthTimeoutMs: 5 * 60_000,
  rbacWaitMs: 5 * 60_000,
  restartAgainAfterMs: 2 * 60_000,
};

/** What `cdktf deploy --outputs-file` wrote for the stack (stacks/broker-stack.ts declares these outputs). */
interface StackOutputs {
  appName: string;
  resourceGroup: string;
  subscriptionId: string;
  policyHash: string;
  packagePath?: string;
}

class UsageError extends Error {}

export async function deployPublishCommand(
  argv: string[],
  out: Print,
  err: Print,
  deps: PublishDependencies = {},
): Promise<number> {
  const parsed = parseCommandArgs(
    {
      args: argv,
      strict: true,
      options: {
        stack: { type: "string" },
        outputs: { type: "string" },
        package: { type: "string" },
        "out-dir": { type: "string" },
      },
    },
    err,
  );
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.stack || !values.outputs) {
    err("deploy publish needs --stack <id> and --outputs <file> (from `cdktf deploy <id> --outputs-file <file>`)");
    return 2;
  }
  let outputs: StackOutputs;
  let zip: Uint8Array;
  try {
    outputs = readOutputs(values.outputs, values.stack);
    const zipPath = values.package ?? packageFromOutputs(outputs, values.stack, values["out-dir"] ?? "cdktf.out");
    zip = readPackage(zipPath, outputs.policyHash);
    out(`package: ${zipPath} (${zip.length} bytes, policy ${outputs.policyHash})`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`deploy publish: ${e.message}`);
    return 2;
  }
  try {
    await publish(outputs, zip, out, deps);
    return 0;
  } catch (e) {
    if (!(e instanceof DeployStepError)) throw e;
    err(`deploy publish: ${e.message}`);
    return 1;
  }
}

async function publish(o: StackOutputs, zip: Uint8Array, out: Print, deps: PublishDependencies): Promise<void> {
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const rest = new AzureRest({ credential: deps.credential ?? (await defaultCredential()), fetch: deps.fetch });
  const urlFor = deps.urlFor ?? ((host: string) => `https://${host}`);
  const site =
    `${deps.armEndpoint ?? ARM_ENDPOINT}/subscriptions/${encodeURIComponent(o.subscriptionId)}` +
    `/resourceGroups/${encodeURIComponent(o.resourceGroup)}/providers/Microsoft.Web/sites/${encodeURIComponent(o.appName)}`;
  const api = `api-version=${WEB_API_VERSION}`;

  // 2. The site: its SCM and default host names, and that it is a Flex Consumption app.
  const properties = ((await rest.call("read the site", "GET", `${site}?${api}`, [200])).json() as SiteJson).properties;
  const scmHost = properties?.hostNameSslStates?.find((h) => h.hostType === "Repository")?.name;
  const defaultHost = properties?.defaultHostName;
  if (!scmHost || !defaultHost) throw new DeployStepError("read the site", "the site has no SCM or default host name");
  if (!properties?.functionAppConfig)
    throw new DeployStepError("read the site", `${o.appName} is not a Flex Consumption app (no functionAppConfig)`);

  // 3. Host storage by identity only.
  const listed = (await rest.call("read app settings", "POST", `${site}/config/appsettings/list?${api}`, [200])).json();
  const fix = withIdentityHostStorage(((listed as SettingsJson).properties ?? {}) as Record<string, string>);
  if (fix.removed.length > 0) {
    await rest.call("update app settings", "PUT", `${site}/config/appsettings?${api}`, [200], {
      data: JSON.stringify({ properties: fix.settings }),
      contentType: "application/json",
    });
    out(`host storage: removed ${fix.removed.join(", ")} (identity-based AzureWebJobsStorage__accountName stays)`);
  } else out("host storage: identity-based, nothing to remove");

  // 4. One Deploy, then wait for the deployment to finish.
  const scm = urlFor(scmHost);
  const publishUrl = `${scm}/api/publish?RemoteBuild=false&Deployer=token-broker`;
  const rbacDeadline = Date.now() + timing.rbacWaitMs;
  let accepted;
  for (;;) {
    accepted = await rest.call(
      "publish (One Deploy)",
      "POST",
      publishUrl,
      [200, 202, 400],
      { data: zip, contentType: "application/zip" },
      (status) =>
        status === 401 || status === 403
          ? "the signed-in identity needs Microsoft.Web/sites/publish/Action on the app (Website Contributor or Contributor)"
          : undefined,
    );
    if (accepted.status !== 400) break;
    // The platform writes the package to the deployment container with the app's identity; right after the apply
    // its Storage Blob Data Owner role may not be effective yet, and the SCM site answers 400 with the storage 403.
    const storageRefused = /BlobUploadFailed|AuthorizationPermissionMismatch|AuthorizationFailure|\b403\b/i.test(
      accepted.text,
    );
    if (!storageRefused || Date.now() >= rbacDeadline) {
      throw new DeployStepError(
        "publish (One Deploy)",
        `HTTP 400 from POST ${publishUrl.split("?")[0]} (${rest.detail(accepted.text)})` +
          (storageRefused
            ? `; the app's identity still cannot write its deployment container after ${timing.rbacWaitMs / 1000} s (Storage Blob Data Owner on the account)`
            : ""),
      );
    }
    out("publish: the app's identity cannot write its deployment storage yet (its role is new); retrying");
    await sleep(timing.pollIntervalMs);
  }
  const id = accepted.text.trim().replace(/^"|"$/g, "");
  const statusUrl = `${scm}/api/deployments/${/^[A-Za-z0-9-]{1,64}$/.test(id) ? id : "latest"}`;
  out(`publish: accepted (HTTP ${accepted.status}), deployment ${id || "latest"}`);
  const deadline = Date.now() + timing.deploymentTimeoutMs;
  for (;;) {
    // 404 right after the upload: the deployment record is not written yet.
    const answer = await rest.call("wait for the deployment", "GET", statusUrl, [200, 202, 404]);
    const d = answer.status === 404 ? undefined : (answer.json() as DeploymentJson);
    if (d?.status === KUDU_STATUS.failed)
      throw new DeployStepError("wait for the deployment", `failed: ${oneLine(d.status_text) || "no status text"}`);
    if (d?.status === KUDU_STATUS.success && d.complete !== false) break;
    if (Date.now() >= deadline)
      throw new DeployStepError("wait for the deployment", `not complete after ${timing.deploymentTimeoutMs / 1000} s`);
    await sleep(timing.pollIntervalMs);
  }
  out("publish: deployment succeeded");

  // 5. Restart: Key Vault references and identity-based storage are resolved again, with every role in place.
  const restart = () => rest.call("restart the app", "POST", `${site}/restart?${api}`, [200, 204]);
  await restart();
  out("restart: done");

  // 6. Health, bounded. Still degraded after a while: the broker's Key Vault role may have been propagating at the
  // restart, and App Service keeps a failed reference until the next restart or config change; restart once more.
  const health = `${urlFor(defaultHost)}/api/health`;
  const until = Date.now() + timing.healthTimeoutMs;
  const restartAgainAt = Date.now() + timing.restartAgainAfterMs;
  let restartedAgain = false;
  let last: string;
  for (;;) {
    last = await probeHealth(health, deps.fetch ?? fetch);
    if (last === "ok") break;
    if (last === "degraded" && !restartedAgain && Date.now() >= restartAgainAt && Date.now() < until) {
      out("health: degraded; restarting once more (Key Vault references are fetched again on restart)");
      await restart();
      restartedAgain = true;
    }
    if (Date.now() >= until) {
      const why =
        last === "degraded"
          ? "the broker runs but a secret setting did not resolve (a Key Vault reference: check its role and the vault's firewall)"
          : "the app did not come up";
      throw new DeployStepError(
        "wait for health",
        `GET ${health}: ${last} after ${timing.healthTimeoutMs / 1000} s; ${why}`,
      );
    }
    await sleep(timing.pollIntervalMs);
  }
  out(`health: ok (${health})`);
}

/** Kudu's DeployStatus values (Pending 0, Building 1, Deploying 2, Failed 3, Success 4). */
const KUDU_STATUS = { failed: 3, success: 4 } as const;

interface SiteJson {
  properties?: {
    defaultHostName?: string;
    hostNameSslStates?: { name?: string; hostType?: string }[];
    functionAppConfig?: unknown;
  };
}
interface SettingsJson {
  properties?: Record<string, string>;
}
interface DeploymentJson {
  status?: number;
  status_text?: string;
  complete?: boolean;
}

async function probeHealth(url: string, fetchImpl: typeof fetch): Promise<string> {
  try {
    const r = await fetchImpl(url, { signal: AbortSignal.timeout(15_000) });
    const body = (await r.json().catch(() => undefined)) as { status?: string } | undefined;
    if (r.status === 200 && body?.status) return body.status;
    return `HTTP ${r.status}`;
  } catch (e) {
    return `unreachable (${oneLine((e as Error).message)})`;
  }
}

function readOutputs(file: string, stack: string): StackOutputs {
  let all: unknown;
  try {
    all = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT"
        ? `--outputs ${file} does not exist: run \`npx cdktf deploy <stack> --outputs-file ${file}\` first`
        : `--outputs ${file}: ${code ?? "not JSON"}`,
    );
  }
  const s = (all as Record<string, Record<string, unknown>> | null)?.[stack];
  if (!s || typeof s !== "object") throw new UsageError(`--outputs ${file} has no stack '${stack}'`);
  const need = ["function_app_name", "resource_group_name", "subscription_id", "policy_hash"];
  const missing = need.filter((k) => typeof s[k] !== "string" || !s[k]);
  if (missing.length > 0)
    throw new UsageError(`--outputs ${file}: stack '${stack}' lacks ${missing.join(", ")} (deploy this version first)`);
  return {
    appName: s.function_app_name as string,
    resourceGroup: s.resource_group_name as string,
    subscriptionId: s.subscription_id as string,
    policyHash: s.policy_hash as string,
    packagePath: typeof s.broker_package === "string" ? s.broker_package : undefined,
  };
}

function packageFromOutputs(o: StackOutputs, stack: string, outDir: string): string {
  if (!o.packagePath) throw new UsageError(`stack '${stack}' has no broker_package output; pass --package <zip>`);
  const stackDir = resolve(outDir, "stacks", stack);
  const path = resolve(stackDir, o.packagePath);
  if (!path.startsWith(stackDir + "/")) throw new UsageError(`broker_package '${o.packagePath}' leaves ${stackDir}`);
  if (!existsSync(path))
    throw new UsageError(`${join(outDir, "stacks", stack, o.packagePath)} does not exist; run cdktf synth/deploy here`);
  return path;
}

/** The zip must be this deployment's: host.json at its root and the deployed policy hash in policy.json. */
function readPackage(path: string, policyHash: string): Uint8Array {
  let files: Record<string, Uint8Array>;
  let zip: Uint8Array;
  try {
    zip = readFileSync(path);
    files = unzipSync(zip);
  } catch (e) {
    throw new UsageError(`${path}: not a readable zip (${(e as Error).message})`);
  }
  if (!files["host.json"]) throw new UsageError(`${path}: no host.json at the package root`);
  let hash: unknown;
  try {
    hash = (JSON.parse(Buffer.from(files["policy.json"] ?? []).toString("utf8")) as { policyHash?: unknown })
      .policyHash;
  } catch {
    hash = undefined;
  }
  if (hash !== policyHash)
    throw new UsageError(`${path}: its policy.json has ${String(hash)}, the deployed stack ${policyHash}; synth again`);
  return zip;
}

async function defaultCredential(): Promise<TokenCredential> {
  // Loaded only here: the other commands never pay for @azure/identity.
  const { DefaultAzureCredential } = await import("@azure/identity");
  return new DefaultAzureCredential();
}

function oneLine(s: string | undefined): string {
  return (s ?? "").replace(/\s+/g, " ").trim().slice(0, 200);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
