/**
 * Your own app against `npm run dev`, in headless Chromium: a page served from an origin added to
 * `local.allowedOrigins` in environments.yaml signs in at the local issuer, gets a signed CDN URL from the dev broker
 * through the built client package (`@azure-token-broker/client`, as an app installs it) and loads the image. A page
 * on an origin the policy does not list gets `network`, with the CORS hint.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { freePort } from "../../../lib/local/child-process";
import { READY_LINE } from "../../../lib/local/dev/banner";
import { fetchDevConfig, personaToken, type TourConfig } from "../../../lib/local/dev/dev-client";
import { bundleForBrowser } from "../../client/support/browser-bundle";
import { freshPorts, interrupt, killGroup, ROOT, startDev, type DevRun } from "./dev-support";

const APP_SOURCE = `
import { BrokerClient, BrokerProblemError } from "@azure-token-broker/client";
export async function run(config) {
  try {
    // From the local issuer, as the page's sign-in would; or handed in (a page whose origin the issuer refuses).
    const access_token =
      config.token ??
      (await fetch(config.issuer + "/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + btoa("editor:secret-editor") },
        body: new URLSearchParams({ grant_type: "client_credentials", resource: config.audience, scope: "broker" }),
      }).then((r) => r.json())).access_token;
    const broker = new BrokerClient({
      brokerUrl: config.broker,
      getAccessToken: async () => access_token,
      retry: { maxRetries: 1, baseDelayMs: 10 },
    });
    const url = await broker.signedUrl(config.path);
    const image = await fetch(url);
    return { url, image: image.status, type: image.headers.get("content-type") };
  } catch (e) {
    return { error: e instanceof BrokerProblemError ? e.code : String(e), message: e.message };
  }
}`;

let dev: DevRun;
let browser: Browser;
let config: TourConfig;
const apps: Server[] = [];
let allowedOrigin: string;
let otherOrigin: string;
let policyRoot: string;

async function serveApp(port: number, script: string): Promise<void> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><script>${script}</script>`);
  });
  apps.push(server);
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
}

beforeAll(async () => {
  const [appPort, otherPort] = [await freePort(), await freePort()];
  allowedOrigin = `http://127.0.0.1:${appPort}`;
  otherOrigin = `http://127.0.0.1:${otherPort}`;
  policyRoot = mkdtempSync(join(tmpdir(), "tb-own-app-"));
  const policies = join(policyRoot, "policies");
  cpSync(join(ROOT, "policies"), policies, { recursive: true });
  const file = join(policies, "environments.yaml");
  const text = readFileSync(file, "utf8");
  const edited = text.replace(
    'allowedOrigins: ["http://127.0.0.1:7070"]',
    `allowedOrigins: ["http://127.0.0.1:7070", "${allowedOrigin}"]`,
  );
  expect(edited).not.toBe(text);
  writeFileSync(file, edited);
  const bundle = await bundleForBrowser(APP_SOURCE, { globalName: "ownApp" });
  await Promise.all([serveApp(appPort, bundle.code), serveApp(otherPort, bundle.code)]);
  dev = await startDev(await freshPorts(), policies);
  [browser] = await Promise.all([
    chromium.launch({ executablePath: "/usr/bin/chromium", headless: true }),
    dev.waitFor(READY_LINE, 90_000),
  ]);
  config = await fetchDevConfig(`http://127.0.0.1:${dev.ports.demo}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dev) {
    await interrupt(dev);
    killGroup(dev);
  }
  await Promise.all(apps.map((s) => new Promise((r) => s.close(r))));
  rmSync(policyRoot, { recursive: true, force: true });
});

async function runIn(origin: string, token?: string) {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(
      (c) => (window as unknown as { ownApp: { run(c: unknown): Promise<Record<string, unknown>> } }).ownApp.run(c),
      { issuer: config.issuer, audience: config.audience, broker: config.broker, path: config.cdn.logo.contoso, token },
    );
  } finally {
    await page.close();
  }
}

it("the banner lists the origin added in environments.yaml", () => {
  expect(dev.output()).toMatch(new RegExp(`^ {2}origins +.*${allowedOrigin.replace(/[.]/g, "\\.")}`, "m"));
});

it("a page on that origin signs in, gets a signed URL from the dev broker and loads the image", async () => {
  const result = await runIn(allowedOrigin);
  expect(result.error).toBeUndefined();
  expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/tenants\/.+\/logo\.svg\?/);
  expect(result.image).toBe(200);
}, 60_000);

it("a page on an origin the policy does not list: the issuer refuses it, and the broker too, naming CORS", async () => {
  expect(await runIn(otherOrigin)).toMatchObject({ error: "TypeError: Failed to fetch" });
  const result = await runIn(otherOrigin, await personaToken(config, "editor"));
  expect(result.error).toBe("network");
  expect(result.message).toContain("CORS refusal is the likely cause");
}, 60_000);
