/**
 * Opt-in live suite against a real Azure Cosmos DB account. Runs only when these are set (otherwise every test is
 * reported as skipped): COSMOS_LIVE_ENDPOINT, COSMOS_LIVE_KEY, COSMOS_LIVE_DATABASE, COSMOS_LIVE_CONTAINER (its
 * partition key path must be /tenantId). It writes one document and one user, and deletes both.
 */
import { CosmosClient } from "@azure/cosmos";
import { createCosmosMinter } from "../../../functions-src/mint/cosmos-minter";

const env = {
  endpoint: process.env.COSMOS_LIVE_ENDPOINT,
  key: process.env.COSMOS_LIVE_KEY,
  database: process.env.COSMOS_LIVE_DATABASE,
  container: process.env.COSMOS_LIVE_CONTAINER,
};
const live = Object.values(env).every(Boolean);
const suite = live ? describe : describe.skip;

// jest lists the suite as skipped when the variables are absent.
suite(
  "Cosmos DB live (set COSMOS_LIVE_ENDPOINT, COSMOS_LIVE_KEY, COSMOS_LIVE_DATABASE, COSMOS_LIVE_CONTAINER to run)",
  () => {
    const tenant = `live-${Date.now()}`;
    const admin = () => new CosmosClient({ endpoint: env.endpoint!, key: env.key! }).database(env.database!);

    afterAll(async () => {
      await admin()
        .container(env.container!)
        .item("live-doc", tenant)
        .delete()
        .catch(() => undefined);
    });

    it("mints a partition-scoped read token the service accepts inside the partition and refuses outside", async () => {
      await admin().container(env.container!).items.upsert({ id: "live-doc", tenantId: tenant });
      const minter = createCosmosMinter(() => ({ endpoint: env.endpoint!, key: env.key!, database: env.database! }));
      const credential = await minter.mint(
        {
          request: 0,
          type: "cosmos",
          grant: "live#0",
          database: env.database!,
          container: env.container!,
          partitionKeyPath: "/tenantId",
          partitionKey: tenant,
          access: "read",
          ttlSeconds: 600,
        },
        { subject: `live-${tenant}`, issuer: "live", claims: {}, now: Date.now() },
      );
      const client = new CosmosClient({
        endpoint: env.endpoint!,
        resourceTokens: credential.resourceTokens as Record<string, string>,
      });
      const items = client.database(env.database!).container(env.container!);
      expect((await items.item("live-doc", tenant).read()).resource).toMatchObject({ id: "live-doc" });
      await expect(items.items.create({ id: "nope", tenantId: tenant })).rejects.toMatchObject({ code: 403 });
      await expect(items.item("live-doc", `${tenant}-other`).read()).rejects.toMatchObject({ code: 403 });
    }, 60_000);
  },
);
