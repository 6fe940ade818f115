/**
 * A real browser (Debian's headless Chromium driven by playwright-core) loads a page from one loopback origin; the
 * page uses the SDK, bundled for the browser by esbuild at test time, to get credentials from the broker (node:http
 * adapter) on another origin, with an access token from the real OIDC issuer. Then, from the page: a Fluid
 * container created and edited through tinylicious, a CDN image fetched from azurite with the signed URL, a Cosmos
 * read with the resource token against the Cosmos contract double. A page on a disallowed origin is refused by
 * the browser's CORS check (the broker sees the preflight, never the POST).
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { crc32, deflateSync } from "node:zlib";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { CosmosClient } from "@azure/cosmos";
import { AzureClient } from "@fluidframework/azure-client";
import { SharedMap } from "fluid-framework/legacy";
import { chromium, type Browser } from "playwright-core";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker, type Broker } from "../../functions-src/core";
import { createCdnMinter } from "../../functions-src/mint/cdn-minter";
import { createCosmosMinter } from "../../functions-src/mint/cosmos-minter";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { BrokerClient } from "../../lib/client/index";
import { BrokerFluidTokenProvider } from "../../lib/client/fluid";
import { Azurite, DEV_ACCOUNT, DEV_KEY } from "../../lib/local/azurite";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { OidcIssuer, privateJwk } from "../../lib/local/oidc-issuer";
import { Tinylicious } from "../../lib/local/tinylicious";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { bundleForBrowser } from "./support/browser-bundle";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (install Debian's chromium; .ci/run does)`);
const describeInBrowser = haveChromium ? describe : describe.skip;

// Fluid 2.x clients on Node 20 need a navigator (facts.md); Node 22 has one.
(globalThis as { navigator?: unknown }).navigator ??= { userAgent: "node" };

const KEYS: [string, string] = ["fluid-key-1-browser", "fluid-key-2-browser"];

/** A real PNG (RGB, 8 bits), so the browser must decode what azurite served. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(
    Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x7f)])),
  );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const personas = { "editor-1": { claims: { name: "Editor One", tid: "contoso", roles: ["editor"] } } };
const issuer = new OidcIssuer(personas, "api://broker");
const tinylicious = new Tinylicious({ local: KEYS });
const azurite = new Azurite();
const cosmosDouble = new CosmosRestContractDouble("db", { items: "/tenantId" });
const seen: { method: string; origin?: string }[] = [];
let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;
let allowedPage: PageServer;
let otherPage: PageServer;
let browser: Browser | undefined;

interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves the page and its bundled SDK from one loopback origin. */
async function servePage(bundle: string): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/sdk.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    res
      .writeHead(200, { "content-type": "text/html" })
      .end('<!doctype html><meta charset="utf-8"><title>sdk</title><script src="/sdk.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const policyFor = (iss: string, origin: string) => `version: 1
issuers:
  local: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], tokenType: at+jwt, claims: { sub: { type: string }, name: { type: string }, tid: { type: string, pattern: "^[a-z0-9]{1,20}$" }, roles: { type: "string[]" } } }
resources:
  fluid: {}
  cdn: { prefixes: { /tenants/: {} } }
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - { fluid: { documents: "*", create: true, scopes: [doc:read, doc:write, summary:write], ttl: 10m } }
      - { cdn: { prefix: "/tenants/\${claims.tid}/", ttl: 5m, protocol: "https,http" } }
      - { cosmos: { container: items, partitionKey: "\${claims.tid}", access: read, ttl: 1h } }
environments: { dev: { stage: development, allowedOrigins: ["${origin}"] } }
`;

describeInBrowser("the SDK in a real browser", () => {
  beforeAll(async () => {
    const sdk = await bundleForBrowser(`export * from "./test/client/support/browser-page";`, {
      globalName: "sdkPage",
    });
    [allowedPage, otherPage] = await Promise.all([servePage(sdk.code), servePage(sdk.code)]);
    await Promise.all([
      issuer.start([await privateJwk("k1")]),
      tinylicious.start(),
      azurite.start(),
      cosmosDouble.start(),
    ]);
    cosmosDouble.corsOrigins = [allowedPage.origin];

    const blobs = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY));
    // What the stack's blob_properties.cors_rule gives the storage account (lib/constructs/storage.ts).
    await blobs.setProperties({
      cors: [
        {
          allowedOrigins: allowedPage.origin,
          allowedMethods: "GET,HEAD",
          allowedHeaders: "range",
          exposedHeaders: "content-length,content-type",
          maxAgeInSeconds: 600,
        },
      ],
    });
    const origin = blobs.getContainerClient("cdn-origin");
    await origin.create();
    await origin
      .getBlockBlobClient("tenants/contoso/logo.png")
      .uploadData(png(2, 3), { blobHTTPHeaders: { blobContentType: "image/png" } });
    const admin = new CosmosClient({ endpoint: cosmosDouble.endpoint, key: cosmosDouble.key });
    await admin.database("db").container("items").items.create({ id: "doc-1", tenantId: "contoso", title: "ours" });
    admin.dispose(); // its endpoint refresher is a timer

    const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer, allowedPage.origin))), "dev");
    const core = createBroker({
      config,
      verifier: new TokenVerifier(config),
      minters: {
        fluid: createFluidMinter(() => ({
          tenantId: "local",
          endpoint: tinylicious.endpoint,
          key1: KEYS[0],
          key2: KEYS[1],
          active: "key1",
        })),
        cdn: createCdnMinter(() => ({
          baseUrl: `${azurite.blobEndpoint}/cdn-origin`,
          container: "cdn-origin",
          signer: { kind: "account-key", accountName: DEV_ACCOUNT, keys: { primary: DEV_KEY, active: "primary" } },
        })),
        cosmos: createCosmosMinter(() => ({ endpoint: cosmosDouble.endpoint, key: cosmosDouble.key, database: "db" })),
      },
    });
    const watched: Broker = {
      handle: (req) => (seen.push({ method: req.method, origin: req.headers.origin }), core.handle(req)),
    };
    // "localhost" keeps the broker on another origin than either page (different host, different port).
    broker = await startNodeHttpBroker(watched);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await Promise.all([
      allowedPage?.close(),
      otherPage?.close(),
      issuer.stop(),
      tinylicious.stop(),
      azurite.stop(),
      cosmosDouble.stop(),
    ]);
  });

  it("an allowed page gets credentials across origins and uses them with Fluid, the CDN and Cosmos", async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(allowedPage.origin);
    const options = {
      brokerUrl: broker.url,
      accessToken: await issuer.token("editor-1"),
      fluidEndpoint: tinylicious.endpoint,
      cdnPath: "/tenants/contoso/logo.png",
      cosmos: { database: "db", container: "items", id: "doc-1", partitionKey: "contoso" },
    };
    const result = await page.evaluate(
      (o) => (globalThis as unknown as { sdkPage: { run(o: unknown): Promise<any> } }).sdkPage.run(o),
      options,
    );
    await page.close();

    expect(errors).toEqual([]);
    expect(result.image).toEqual({ status: 200, width: 2, height: 3 });
    expect(result.cosmos).toMatchObject({ id: "doc-1", title: "ours" });
    expect(result.documentId).toMatch(/\S/);
    // The broker was reached cross-origin: preflights from the page's origin, then the POSTs.
    expect(seen.filter((s) => s.origin === allowedPage.origin).map((s) => s.method)).toEqual(
      expect.arrayContaining(["OPTIONS", "POST"]),
    );

    // The edit the browser made is in the document: read it back through Node with a real AzureClient.
    const nodeBroker = new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => issuer.token("editor-1") });
    const client = new AzureClient({
      connection: {
        type: "local",
        endpoint: tinylicious.endpoint,
        tokenProvider: new BrokerFluidTokenProvider(nodeBroker),
      },
      // No summarizer: under jest it fails to load (a dynamic import) and leaves timers pending (fluid-session.test.ts).
      configProvider: {
        getRawConfig: (name) => (name === "Fluid.ContainerRuntime.Test.DisableSummaries" ? true : undefined),
      },
    });
    const { container } = await client.getContainer(result.documentId, { initialObjects: { map: SharedMap } }, "2");
    const map = container.initialObjects.map as unknown as { get(k: string): unknown };
    const end = Date.now() + 15_000;
    while (map.get("edited") !== "yes" && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect([map.get("greeting"), map.get("edited")]).toEqual(["hello from the browser", "yes"]);
    container.dispose();
  }, 120_000);

  it("a page on a disallowed origin is refused by the browser's CORS check", async () => {
    const before = seen.length;
    const page = await browser!.newPage();
    await page.goto(otherPage.origin);
    const options = {
      brokerUrl: broker.url,
      accessToken: await issuer.token("editor-1"),
      cdnPath: "/tenants/contoso/logo.png",
    };
    const result = await page.evaluate(
      (o) => (globalThis as unknown as { sdkPage: { tryBroker(o: unknown): Promise<any> } }).sdkPage.tryBroker(o),
      options,
    );
    await page.close();
    expect(result).toEqual({ outcome: "network" });
    const fromOther = seen
      .slice(before)
      .filter((s) => s.origin === otherPage.origin)
      .map((s) => s.method);
    expect(fromOther).toEqual(["OPTIONS"]); // the preflight got no CORS headers, so the POST was never sent
  }, 60_000);
});
