/**
 * The SDK registers the containers it creates (issue 21): real AzureClients with BrokerFluidTokenProvider against
 * the broker over HTTP, the local Fluid service and the Cosmos contract double. attach() resolves only once the
 * broker has recorded the owner; owner-scoped grants then open the document to its tenant and to no one else; a
 * registration the broker cannot take fails the attach with a clear error.
 */
import { AzureClient } from "@fluidframework/azure-client";
import { SharedMap } from "fluid-framework/legacy";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker } from "../../functions-src/core";
import { cosmosOwnerRegistry } from "../../functions-src/fluid-owners/cosmos-owner-registry";
import { cachedOwnerRegistry } from "../../functions-src/fluid-owners/owner-registry";
import { createFluidRegistration } from "../../functions-src/fluid-owners/registration-route";
import { createFluidMinter, type FluidSettings } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { BrokerClient } from "../../lib/client/index";
import { BrokerFluidTokenProvider } from "../../lib/client/fluid";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { Tinylicious } from "../../lib/local/tinylicious";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

// Fluid 2.x clients on Node 20 need a navigator (nodejs.org/api/globals.html#navigator, Node >= 21).
(globalThis as { navigator?: unknown }).navigator ??= { userAgent: "node" };

const KEYS: [string, string] = ["sdk-owners-key-1", "sdk-owners-key-2"];
const tinylicious = new Tinylicious({ local: KEYS });
const cosmos = new CosmosRestContractDouble("docs", { fluidDocuments: "/tenant" });
const issuer = new KeyServer();
const schema = { initialObjects: { map: SharedMap } };
let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;
const fluid = (): FluidSettings => ({
  tenantId: "local",
  endpoint: tinylicious.endpoint,
  key1: KEYS[0],
  key2: KEYS[1],
  active: "key1",
});

const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], requiredClaims: [sub, tid], claims: { sub: { type: string }, tid: { type: string }, name: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: { owners: { tenant: tid } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants: [{ fluid: { documents: { owner: tenant }, create: true, scopes: [doc:read, doc:write, summary:write], ttl: 10m } }]
environments: { dev: { stage: development } }
`;

function clientFor(sub: string, tid: string) {
  const client = new BrokerClient({
    brokerUrl: broker.url,
    getAccessToken: () => issuer.sign({ sub, tid, name: sub, roles: ["editor"], aud: "api://broker" }),
    retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 1000 },
  });
  const tokenProvider = new BrokerFluidTokenProvider(client);
  return new AzureClient({ connection: { type: "local", endpoint: tinylicious.endpoint, tokenProvider } });
}

const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(async () => {
  await Promise.all([tinylicious.start(), issuer.start(), cosmos.start()]);
  issuer.keys = [await makeKey("k1")];
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
  const registry = cachedOwnerRegistry(
    cosmosOwnerRegistry(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database: "docs" })),
  );
  const core = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: { fluid: createFluidMinter(fluid) },
    fluidOwners: {
      registry,
      register: createFluidRegistration({ registry, fluid, tenantClaim: "tid", policy: config.policyHash }),
    },
  });
  broker = await startNodeHttpBroker(core);
}, 60_000);

afterAll(async () => {
  await broker?.close();
  await Promise.all([tinylicious.stop(), issuer.stop(), cosmos.stop()]);
});

it("a Contoso editor's attach registers the document; Contoso opens it, Fabrikam is refused", async () => {
  const { container } = await clientFor("alice", "contoso").createContainer(schema, "2");
  (container.initialObjects.map as { set(k: string, v: string): void }).set("greeting", "hello");
  const documentId = await container.attach();
  // attach() resolved: the owner is recorded already.
  const recorded = await cosmosOwnerRegistry(() => ({
    endpoint: cosmos.endpoint,
    key: cosmos.key,
    database: "docs",
  })).find("contoso", documentId);
  expect(recorded).toMatchObject({ creator: "alice", tenant: "contoso" });

  const { container: bobs } = await clientFor("bob", "contoso").getContainer(documentId, schema, "2");
  const map = bobs.initialObjects.map as { get(k: string): unknown };
  await waitFor(() => map.get("greeting") === "hello");
  bobs.dispose();

  await expect(clientFor("fay", "fabrikam").getContainer(documentId, schema, "2")).rejects.toThrow(/not-owned/);
  container.dispose();
}, 90_000);

it("when the broker cannot record the owner, attach fails with a clear error", async () => {
  cosmos.faults.status = 503;
  try {
    const { container } = await clientFor("alice", "contoso").createContainer(schema, "2");
    await expect(container.attach()).rejects.toThrow(/cannot issue credentials right now|backend/);
    container.dispose();
  } finally {
    cosmos.faults.status = 0;
  }
}, 90_000);
