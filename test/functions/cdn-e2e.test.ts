/** CDN end to end: persona token -> broker over node:http -> signed URL -> the blob from azurite; the policy decides the path. */
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker } from "../../functions-src/core";
import { createCdnMinter } from "../../functions-src/mint/cdn-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { Azurite, DEV_ACCOUNT, DEV_KEY } from "../../lib/local/azurite";
import { KeyServer, makeKey } from "../support/key-server";

const azurite = new Azurite();
const issuer = new KeyServer();
let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;

const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, tid: { type: string, pattern: "[a-z0-9-]{1,40}" } } }
resources: { cdn: { prefixes: { /tenants/: {} } } }
roles:
  member:
    when: { claim: tid, exists: true }
    grants: [{ cdn: { prefix: "/tenants/\${claims.tid}/", ttl: 5m, protocol: "https,http" } }]
environments: { dev: { stage: development } }
`;

beforeAll(async () => {
  await Promise.all([azurite.start(), issuer.start()]);
  issuer.keys = [await makeKey("k1")];
  const container = new BlobServiceClient(
    azurite.blobEndpoint,
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
  ).getContainerClient("cdn-origin");
  await container.create();
  await container.getBlockBlobClient("tenants/contoso/report.pdf").upload("CONTOSO-REPORT", 14);
  await container.getBlockBlobClient("tenants/fabrikam/report.pdf").upload("FABRIKAM-REPORT", 15);
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
  const cdn = createCdnMinter(() => ({
    baseUrl: `${azurite.blobEndpoint}/cdn-origin`,
    container: "cdn-origin",
    signer: { kind: "account-key", accountName: DEV_ACCOUNT, keys: { primary: DEV_KEY, active: "primary" } },
  }));
  broker = await startNodeHttpBroker(createBroker({ config, verifier: new TokenVerifier(config), minters: { cdn } }));
}, 60_000);
afterAll(async () => {
  await broker?.close();
  await Promise.all([azurite.stop(), issuer.stop()]);
});

it("a caller gets a URL for its own tenant's blob that azurite serves, and nothing for another tenant", async () => {
  const token = await issuer.sign({ sub: "u1", tid: "contoso", aud: "api://broker" });
  const res = await fetch(`${broker.url}/api/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      requests: [
        { type: "cdn", path: "/tenants/contoso/report.pdf" },
        { type: "cdn", path: "/tenants/fabrikam/report.pdf" },
      ],
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    credentials: { url: string; path: string }[];
    denied: { request: number; reason: string }[];
  };
  expect(body.credentials.map((c) => c.path)).toEqual(["/tenants/contoso/report.pdf"]);
  expect(body.denied).toEqual([expect.objectContaining({ request: 1, reason: "not-granted" })]);
  const blob = await fetch(body.credentials[0].url);
  expect([blob.status, await blob.text()]).toEqual([200, "CONTOSO-REPORT"]);
  // The same signature on the other tenant's blob is refused by storage.
  const other = new URL(body.credentials[0].url);
  other.pathname = other.pathname.replace("/contoso/", "/fabrikam/");
  expect((await fetch(other)).status).toBe(403);
}, 60_000);
