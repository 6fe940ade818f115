/** Sample data for the local services: blobs in the CDN origin, a profile document per persona in Cosmos. */
import { request } from "node:https";
import { CosmosClient } from "@azure/cosmos";
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  generateAccountSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { DEV_ACCOUNT, DEV_KEY } from "../azurite";
import { PERSONAS } from "./personas";
import { CDN_CONTAINER, SAMPLE_ASSETS } from "./sample-assets";

/** Creates the origin container and uploads the sample assets over https (trusting only the given certificate). */
export async function seedCdnOrigin(blobEndpoint: string, ca: string): Promise<void> {
  const sas = generateAccountSASQueryParameters(
    {
      expiresOn: new Date(Date.now() + 10 * 60_000),
      permissions: AccountSASPermissions.parse("cw"),
      resourceTypes: AccountSASResourceTypes.parse("co").toString(),
      services: AccountSASServices.parse("b").toString(),
      protocol: SASProtocol.Https,
      version: "2025-11-05",
    },
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
  ).toString();
  await put(`${blobEndpoint}/${CDN_CONTAINER}?restype=container&${sas}`, {}, "", ca);
  for (const a of SAMPLE_ASSETS) {
    await put(
      `${blobEndpoint}/${CDN_CONTAINER}${a.path}?${sas}`,
      { "x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": a.contentType },
      a.body,
      ca,
    );
  }
}

function put(url: string, headers: Record<string, string>, body: string, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "PUT",
        ca,
        headers: { ...headers, "content-length": Buffer.byteLength(body), "x-ms-version": "2025-11-05" },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          (res.statusCode ?? 500) < 300
            ? resolve()
            : reject(new Error(`seeding the CDN origin: ${res.statusCode} for ${new URL(url).pathname}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** One profile document per persona in `profiles` (partition key /userId = the persona's oid). */
export async function seedProfiles(
  endpoint: string,
  key: string,
  database: string,
  createContainers: boolean,
): Promise<void> {
  const client = new CosmosClient({ endpoint, key, connectionPolicy: { enableEndpointDiscovery: false } });
  const db = client.database(database);
  if (createContainers) {
    // A real account or the emulator: make what the policy declares (the stand-in already has it).
    await client.databases.createIfNotExists({ id: database });
    await db.containers.createIfNotExists({ id: "profiles", partitionKey: { paths: ["/userId"] } });
    await db.containers.createIfNotExists({ id: "documents", partitionKey: { paths: ["/tenantId"] } });
  }
  const profiles = db.container("profiles");
  for (const p of PERSONAS) {
    const doc = {
      id: p.claims.oid,
      userId: p.claims.oid,
      name: p.label,
      tenant: p.tenant,
      bio: `${p.label}'s profile, read with a resource token.`,
    };
    if (createContainers) await profiles.items.upsert(doc);
    else await profiles.items.create(doc);
  }
}
