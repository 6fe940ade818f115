/**
 * Zero downtime through full key rotations, locally, with real components: exchanges over HTTP through the broker
 * (node:http), and every credential used against a real local service: Fluid tokens on tinylicious (a delta-stream
 * connect, where the service checks the HMAC against its current key1/key2), Cosmos resource tokens on the Cosmos
 * contract double (a document read through @azure/cosmos), SAS URLs on azurite (a blob read).
 * The rotation is the Azure code path (lib/cli/keys-azure.ts over REST, lib/keys/rotation.ts) against the ARM and
 * Key Vault contract double, whose keys are tinylicious' tenant keys and the Cosmos double's master keys; the broker
 * reads the key documents from that vault over HTTP (functions-src/keys/key-vault-secret-reader.ts).
 *
 * Time is scaled down: the broker rereads keys every 100 ms and never uses a copy older than 1 s (Azure: 60 s /
 * 5 min), and clients start using a credential at most 800 ms after it was issued (Azure: the credential's TTL, up to
 * 1 h for Fluid and 5 h for Cosmos; the policy's 60 s minimum TTL cannot be shortened, so clients stand in for it by
 * asking again). The hold is 1000 + 800 + 800 ms of skew (Azure: 5 min + TTL + 5 min). The second test runs the same load with no hold and must
 * see failures: the hold is what makes the first one pass.
 */
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { CosmosClient } from "@azure/cosmos";
import { io } from "socket.io-client";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createCdnMinter } from "../../functions-src/mint/cdn-minter";
import { createCosmosMinter } from "../../functions-src/mint/cosmos-minter";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { KEY_SECRET } from "../../functions-src/keys/key-document";
import { keyVaultSecretReader } from "../../functions-src/keys/key-vault-secret-reader";
import { RotatedKeySource } from "../../functions-src/keys/rotated-key-source";
import { cosmosSettings, fluidSettings } from "../../functions-src/settings";
import type { KeyRotationAuditRecord } from "../../functions-src/audit";
import { azureClients, cosmosAccountKeys, fluidRelayKeys, keyVaultStore } from "../../lib/cli/keys-azure";
import { waitForCosmosKey } from "../../lib/keys/cosmos-key-check";
import { advanceRotation, rotateToCompletion } from "../../lib/keys/rotation";
import { Azurite, DEV_ACCOUNT, DEV_KEY } from "../../lib/local/azurite";
import { AzureKeysRestContractDouble, testCredential } from "../../lib/local/azure-keys-rest-contract-double";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { Tinylicious } from "../../lib/local/tinylicious";
import { createBroker } from "../../functions-src/core";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const MAX_AGE_MS = 1000;
const CREDENTIAL_USE_MS = 800;
/** Skew stands in for what a loaded machine adds: exchange and use latency (a use starts inside the window). */
const SKEW_MS = 800;
const HOLD_MS = MAX_AGE_MS + CREDENTIAL_USE_MS + SKEW_MS;
const WORKERS = 6;

// Azurite here speaks http, so the CDN grant allows it (SAS spr=https,http); everything else as in production.
const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources:
  fluid: {}
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
  cdn: { prefixes: { /files/: {} } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "*", scopes: [doc:read, doc:write], ttl: 10m }
      - cosmos: { container: items, partitionKey: "\${claims.sub}", access: all, ttl: 1h }
      - cdn: { prefix: "/files/", ttl: 10m, protocol: "https,http" }
environments: { dev: { stage: development } }
`;

const tinylicious = new Tinylicious({ local: ["initial-fluid-key-1", "initial-fluid-key-2"] });
const cosmos = new CosmosRestContractDouble("db", { items: "/tenantId" });
const azurite = new Azurite();
const issuer = new KeyServer();
const FLUID_ID =
  "/subscriptions/sub-1/resourceGroups/rg-tb-dev/providers/Microsoft.FluidRelay/fluidRelayServers/frs-tb-dev";
const COSMOS_ID =
  "/subscriptions/sub-1/resourceGroups/rg-tb-dev/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-tb-dev";
const azure = new AzureKeysRestContractDouble({
  fluid: {
    serverId: FLUID_ID,
    holder: {
      keys: () => ({ key1: tinylicious.keys.local[0], key2: tinylicious.keys.local[1] }),
      regenerate: (slot) => void tinylicious.regenerateKey("local", slot),
    },
  },
  cosmos: {
    accountId: COSMOS_ID,
    holder: {
      keys: () => ({ key1: cosmos.masterKeys.primary, key2: cosmos.masterKeys.secondary }),
      regenerate: (slot) => cosmos.regenerateKey(slot === "key1" ? "primary" : "secondary"),
    },
    asyncPolls: 1,
  },
});

beforeAll(async () => {
  await Promise.all([tinylicious.start(), cosmos.start(), azurite.start(), issuer.start(), azure.start()]);
  issuer.keys = [await makeKey("k1")];
  const admin = new CosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  const container = new BlobServiceClient(
    azurite.blobEndpoint,
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
  ).getContainerClient("cdn-origin");
  await container.create();
  await container.getBlockBlobClient("files/report.txt").upload("REPORT", 6);
  for (let i = 0; i < WORKERS; i++)
    await admin
      .database("db")
      .container("items")
      .items.create({ id: "profile", tenantId: `user-${i}` });
}, 90_000);
afterAll(async () => {
  await Promise.all([tinylicious.stop(), cosmos.stop(), azurite.stop(), issuer.stop(), azure.stop()]);
});

/** Fluid: the delta stream accepts the token ("ok") or refuses it. */
function fluidConnect(token: string, documentId: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = io(tinylicious.endpoint, { transports: ["websocket"], reconnection: false });
    let settled = false;
    const done = (verdict: string) => {
      if (settled) return;
      settled = true;
      socket.close();
      resolve(verdict);
    };
    socket.on("connect", () =>
      socket.emit("connect_document", {
        tenantId: "local",
        id: documentId,
        token,
        client: {
          mode: "write",
          details: { capabilities: { interactive: false } },
          permission: [],
          user: { id: "load" },
          scopes: ["doc:read", "doc:write"],
        },
        versions: ["^0.4.0"],
        mode: "read",
      }),
    );
    socket.on("connect_document_success", () => done("ok"));
    socket.on("connect_document_error", () => done("refused"));
    socket.on("connect_error", () => done("unreachable"));
    socket.on("disconnect", () => done("disconnected"));
    setTimeout(() => done("no answer in 10 s"), 10_000).unref();
  });
}

interface Figures {
  exchanges: number;
  fluidUses: number;
  cosmosUses: number;
  blobUses: number;
  failures: string[];
}

/** The broker as deployed: keys from the vault (over HTTP), both minters reading them at mint time. */
async function startBroker() {
  const bearer = async () => (await testCredential.getToken("https://vault.azure.net/.default"))!.token;
  const keys = new RotatedKeySource(
    keyVaultSecretReader(azure.vaultUrl, bearer),
    [KEY_SECRET.fluid, KEY_SECRET.cosmos],
    {
      refreshMs: 100,
      maxAgeMs: MAX_AGE_MS,
    },
  );
  await keys.ready();
  const env = {
    FLUID_TENANT_ID: "local",
    FLUID_ENDPOINT: tinylicious.endpoint,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_DATABASE: "db",
  };
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
  const minters = {
    fluid: createFluidMinter(fluidSettings(env, keys)!),
    cosmos: createCosmosMinter(cosmosSettings(env, keys)!),
    cdn: createCdnMinter(() => ({
      baseUrl: `${azurite.blobEndpoint}/cdn-origin`,
      container: "cdn-origin",
      signer: { kind: "account-key", accountName: DEV_ACCOUNT, keys: { primary: DEV_KEY, active: "primary" } },
    })),
  };
  const http = await startNodeHttpBroker(createBroker({ config, verifier: new TokenVerifier(config), minters }));
  return { url: http.url, close: async () => (keys.stop(), await http.close()) };
}

/** Workers that exchange, then use their credentials until CREDENTIAL_USE_MS have passed, then exchange again. */
function startLoad(brokerUrl: string, figures: Figures) {
  let running = true;
  const worker = async (i: number) => {
    const sub = `user-${i}`;
    const bearer = await issuer.sign({ sub, roles: ["editor"], aud: "api://broker" });
    while (running) {
      figures.exchanges++;
      const r = await fetch(`${brokerUrl}/api/token`, {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: JSON.stringify({
          requests: [
            { type: "fluid", documentId: `doc-${i}` },
            { type: "cosmos", container: "items", access: "all" },
            { type: "cdn", path: "/files/report.txt" },
          ],
        }),
      });
      const body = (await r.json()) as { credentials?: Record<string, any>[] };
      if (r.status !== 200 || body.credentials?.length !== 3) {
        figures.failures.push(`exchange ${r.status} ${JSON.stringify((body as { denied?: unknown }).denied ?? body)}`);
        continue;
      }
      const of = (type: string) => body.credentials!.find((c) => c.type === type)!;
      const [fluid, cosmosCredential, cdn] = [of("fluid"), of("cosmos"), of("cdn")];
      const issuedAt = Date.now();
      const client = new CosmosClient({ endpoint: cosmos.endpoint, resourceTokens: cosmosCredential.resourceTokens });
      // Use what was issued until the scaled lifetime ends (an app holds its credentials until they expire).
      while (running && Date.now() - issuedAt < CREDENTIAL_USE_MS) {
        const [f, c, b] = await Promise.all([
          fluidConnect(fluid.token, `doc-${i}`),
          client
            .database("db")
            .container("items")
            .item("profile", sub)
            .read()
            .then((x) => (x.statusCode === 200 ? "ok" : `status ${x.statusCode}`))
            .catch((e: { code?: number }) => `error ${e.code}`),
          fetch(cdn.url).then(async (x) =>
            x.status === 200 && (await x.text()) === "REPORT" ? "ok" : `status ${x.status}`,
          ),
        ]);
        figures.fluidUses++;
        figures.cosmosUses++;
        figures.blobUses++;
        if (f !== "ok") figures.failures.push(`fluid ${f}`);
        if (c !== "ok") figures.failures.push(`cosmos ${c}`);
        if (b !== "ok") figures.failures.push(`blob ${b}`);
      }
    }
  };
  const done = Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
  return async () => {
    running = false;
    await done;
  };
}

async function rotateBoth(holdMs: number, audit: KeyRotationAuditRecord[]) {
  const { arm, vault } = azureClients(testCredential);
  const store = keyVaultStore(vault, azure.vaultUrl);
  const options = {
    holdMs,
    audit: (r: KeyRotationAuditRecord) => (process.env.DEBUG_ROTATION && console.error(r), audit.push(r)),
    by: "test:zero-downtime",
  };
  const started = Date.now();
  await Promise.all([
    rotateToCompletion(fluidRelayKeys(arm, azure.armEndpoint, FLUID_ID), store, options),
    rotateToCompletion(
      cosmosAccountKeys(arm, azure.armEndpoint, COSMOS_ID, {
        verify: (key) => waitForCosmosKey(cosmos.endpoint, key, { attempts: 3, delayMs: 50 }),
        pollMs: 20,
      }),
      store,
      options,
    ),
  ]);
  return Date.now() - started;
}

it("two full rotations of the Fluid and Cosmos keys under load: every exchange and every credential use succeeds", async () => {
  const audit: KeyRotationAuditRecord[] = [];
  const { arm, vault } = azureClients(testCredential);
  const store = keyVaultStore(vault, azure.vaultUrl);
  // The first run adopts the keys the services have (no document yet: the broker would answer 503, never guess).
  for (const resource of [
    fluidRelayKeys(arm, azure.armEndpoint, FLUID_ID),
    cosmosAccountKeys(arm, azure.armEndpoint, COSMOS_ID),
  ])
    await advanceRotation(resource, store, { holdMs: HOLD_MS, audit: (r) => audit.push(r), by: "test" });
  const originalFluid = [...tinylicious.keys.local];
  const originalCosmos = { ...cosmos.masterKeys };

  const broker = await startBroker();
  const figures: Figures = { exchanges: 0, fluidUses: 0, cosmosUses: 0, blobUses: 0, failures: [] };
  const stopLoad = startLoad(broker.url, figures);
  const perRotation: number[] = [];
  try {
    for (let n = 0; n < 2; n++) perRotation.push(await rotateBoth(HOLD_MS, audit));
    await new Promise((r) => setTimeout(r, CREDENTIAL_USE_MS)); // load keeps running on the rotated keys
  } finally {
    await stopLoad();
    await broker.close();
  }
  process.stdout.write(
    `zero-downtime rotation: ${JSON.stringify({ ...figures, failures: figures.failures.length, perRotationMs: perRotation, holdMs: HOLD_MS })}\n`,
  );

  expect(figures.failures).toEqual([]);
  expect(figures.exchanges).toBeGreaterThan(20);
  expect(Math.min(figures.fluidUses, figures.cosmosUses, figures.blobUses)).toBeGreaterThan(50);
  // Both rotations really happened: all four keys differ from the originals, and the old ones are dead.
  expect(tinylicious.keys.local.some((k) => originalFluid.includes(k))).toBe(false);
  expect(Object.values(cosmos.masterKeys).some((k) => Object.values(originalCosmos).includes(k))).toBe(false);
  const steps = (resource: string) => audit.filter((r) => r.resource === resource).map((r) => r.step);
  for (const resource of ["fluid", "cosmos"]) {
    expect(steps(resource).filter((s) => s === "switched")).toHaveLength(2);
    expect(steps(resource).filter((s) => s === "regenerated")).toHaveLength(4);
    expect(steps(resource).filter((s) => s === "completed")).toHaveLength(2);
  }
  expect(JSON.stringify(audit)).not.toContain(tinylicious.keys.local[0]);
  // The vault holds one document per resource, its versions one per step; the last matches the services' keys.
  const fluidDoc = JSON.parse(azure.secrets.get("fluid-keys")!.at(-1)!.value);
  expect([fluidDoc.key1, fluidDoc.key2]).toEqual(tinylicious.keys.local);
}, 120_000);

it("without the hold (the old key regenerated right after the switch) the same load fails: the hold is what keeps it whole", async () => {
  const figures: Figures = { exchanges: 0, fluidUses: 0, cosmosUses: 0, blobUses: 0, failures: [] };
  const broker = await startBroker();
  const stopLoad = startLoad(broker.url, figures);
  try {
    await new Promise((r) => setTimeout(r, 300)); // credentials in hand
    await rotateBoth(0, []);
    await new Promise((r) => setTimeout(r, CREDENTIAL_USE_MS));
  } finally {
    await stopLoad();
    await broker.close();
  }
  process.stdout.write(`no hold: ${JSON.stringify({ ...figures, failures: figures.failures.length })}\n`);
  expect(figures.failures.length).toBeGreaterThan(0);
  expect(figures.failures.some((f) => f.startsWith("fluid") || f.startsWith("cosmos"))).toBe(true);
}, 120_000);
