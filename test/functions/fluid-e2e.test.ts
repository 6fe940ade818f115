/**
 * Fluid end to end: persona tokens from a real issuer -> the broker over HTTP -> Fluid tokens -> tinylicious with a
 * real HMAC + expiry check, through real AzureClients. An editor creates a container and writes; a reader reads and
 * its writes never land; tokens signed with the wrong key or expired are refused by the service.
 */
import { AzureClient } from "@fluidframework/azure-client";
import { SharedMap } from "fluid-framework/legacy";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker } from "../../functions-src/core";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { mintFluidToken } from "../../functions-src/mint/fluid-token";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { BrokerClient } from "../../lib/client/index";
import { BrokerFluidTokenProvider } from "../../lib/client/fluid";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";
import { Tinylicious } from "../../lib/local/tinylicious";

// Fluid 2.x clients on Node 20 need a navigator (nodejs.org/api/globals.html#navigator, Node >= 21).
(globalThis as { navigator?: unknown }).navigator ??= { userAgent: "node" };

const KEYS: [string, string] = ["fluid-key-1-for-tests", "fluid-key-2-for-tests"];
const tinylicious = new Tinylicious({ local: KEYS });
const issuer = new KeyServer();
let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;
const schema = { initialObjects: { map: SharedMap } };

const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, name: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: {} }
roles:
  reader:
    when: { claim: roles, contains: reader }
    grants: [{ fluid: { documents: "*", scopes: [doc:read], ttl: 10m } }]
  editor:
    when: { claim: roles, contains: editor }
    grants: [{ fluid: { documents: "*", create: true, scopes: [doc:read, doc:write, summary:write], ttl: 10m } }]
environments: { dev: { stage: development } }
`;

function clientFor(persona: "editor" | "reader") {
  const client = new BrokerClient({
    brokerUrl: broker.url,
    getAccessToken: () => issuer.sign({ sub: `${persona}-1`, name: persona, roles: [persona], aud: "api://broker" }),
  });
  const tokenProvider = new BrokerFluidTokenProvider(client);
  return new AzureClient({ connection: { type: "local", endpoint: tinylicious.endpoint, tokenProvider } });
}

function rawClient(sign: (documentId: string) => string) {
  const tokenProvider = {
    fetchOrdererToken: async (_t: string, d?: string) => ({ jwt: sign(d ?? "") }),
    fetchStorageToken: async (_t: string, d: string) => ({ jwt: sign(d) }),
  };
  return new AzureClient({ connection: { type: "local", endpoint: tinylicious.endpoint, tokenProvider } });
}

/** Whether the container's delta connection is established within `ms` (tinylicious verifies tokens on connect). */
function connects(
  container: { connectionState: number; on(e: string, f: () => void): void },
  ms = 8000,
): Promise<boolean> {
  if (container.connectionState === 2) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    container.on("connected", () => {
      clearTimeout(timer);
      resolve(true);
    });
    container.on("disposed", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(async () => {
  await Promise.all([tinylicious.start(), issuer.start()]);
  issuer.keys = [await makeKey("k1")];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
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
    },
  });
  broker = await startNodeHttpBroker(core);
}, 60_000);

afterAll(async () => {
  await broker?.close();
  await Promise.all([tinylicious.stop(), issuer.stop()]);
});

let documentId = "";

it("an editor creates a container through broker tokens and writes to it", async () => {
  const { container } = await clientFor("editor").createContainer(schema, "2");
  (container.initialObjects.map as { set(k: string, v: string): void }).set("greeting", "hello");
  documentId = await container.attach();
  expect(documentId).toMatch(/\S/);
  await waitFor(() => container.isDirty === false);
  container.dispose();
}, 60_000);

it("a reader reads the container, and its writes never land", async () => {
  const { container: readerContainer } = await clientFor("reader").getContainer(documentId, schema, "2");
  const readerMap = readerContainer.initialObjects.map as { get(k: string): unknown; set(k: string, v: string): void };
  await waitFor(() => readerMap.get("greeting") === "hello");
  readerMap.set("greeting", "defaced");
  await new Promise((r) => setTimeout(r, 1500));
  readerContainer.dispose();

  const { container: check } = await clientFor("editor").getContainer(documentId, schema, "2");
  const map = check.initialObjects.map as { get(k: string): unknown };
  await waitFor(() => map.get("greeting") !== undefined);
  expect(map.get("greeting")).toBe("hello");
  check.dispose();
}, 60_000);

// Tinylicious verifies tokens when a client connects to the delta stream (its storage routes check none; Azure Fluid
// Relay checks both), so "refused" here means: loading fails with the service's rejection (401/403, as routerlicious
// answers), or the container never connects.
async function refused(client: AzureClient, why: RegExp): Promise<boolean> {
  let container;
  try {
    ({ container } = await client.getContainer(documentId, schema, "2"));
  } catch (e) {
    return why.test(String((e as Error).message));
  }
  const connected = await connects(container);
  container.dispose();
  return !connected;
}

it("the service refuses a token signed with the wrong key", async () => {
  const forged = rawClient(
    (doc) =>
      mintFluidToken({
        tenantId: "local",
        documentId: doc,
        scopes: ["doc:read", "doc:write", "summary:write"],
        user: { id: "mallory", name: "Mallory" },
        ttlSeconds: 600,
        key: "not-the-tenant-key",
      }).jwt,
  );
  expect(await refused(forged, /token rejected: signature/)).toBe(true);
}, 60_000);

it("the service refuses an expired token", async () => {
  const expired = rawClient(
    (doc) =>
      mintFluidToken({
        tenantId: "local",
        documentId: doc,
        scopes: ["doc:read"],
        user: { id: "late", name: "Late" },
        ttlSeconds: 60,
        key: KEYS[0],
        now: Math.floor(Date.now() / 1000) - 3600,
      }).jwt,
  );
  expect(await refused(expired, /token rejected: expired/)).toBe(true);
}, 60_000);

it("the service accepts tokens signed with key1 and with key2 (rotation)", async () => {
  for (const key of KEYS) {
    const client = rawClient(
      (doc) =>
        mintFluidToken({
          tenantId: "local",
          documentId: doc,
          scopes: ["doc:read"],
          user: { id: "rot", name: "Rot" },
          ttlSeconds: 600,
          key,
        }).jwt,
    );
    const { container } = await client.getContainer(documentId, schema, "2");
    expect(await connects(container)).toBe(true);
    const map = container.initialObjects.map as { get(k: string): unknown };
    await waitFor(() => map.get("greeting") === "hello");
    container.dispose();
  }
}, 60_000);
