/**
 * createCosmosClient: a real @azure/cosmos CosmosClient whose tokenProvider takes resource tokens from the broker
 * (real core + Cosmos minter) against the Cosmos REST contract double (no local Cosmos has users/permissions).
 */
import { CosmosClient } from "@azure/cosmos";
import { BrokerClient } from "../../lib/client/index";
import { createCosmosClient } from "../../lib/client/cosmos";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { RealBroker } from "./support/real-broker";

const double = new CosmosRestContractDouble("db", { items: "/tenantId" });
const broker = new RealBroker({ cosmos: () => ({ endpoint: double.endpoint, key: double.key, database: "db" }) });

beforeAll(async () => {
  await double.start();
  await broker.start();
  const admin = new CosmosClient({ endpoint: double.endpoint, key: double.key });
  const items = admin.database("db").container("items");
  await items.items.create({ id: "doc-1", tenantId: "contoso", title: "ours" });
  await items.items.create({ id: "doc-2", tenantId: "fabrikam", title: "theirs" });
  admin.dispose(); // its endpoint refresher is a timer
}, 30_000);
afterAll(async () => {
  await broker.stop();
  await double.stop();
});
beforeEach(() => (broker.calls.length = 0));

it("reads with the broker's resource token, learning the endpoint from the credential", async () => {
  const client = await createCosmosClient(
    new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => broker.token() }),
    { containers: ["items"] },
  );
  const items = client.database("db").container("items");
  expect((await items.item("doc-1", "contoso").read()).resource).toMatchObject({ title: "ours" });
  await expect(items.item("doc-2", "fabrikam").read()).rejects.toMatchObject({ code: 403 });
  expect(broker.calls).toEqual([1]); // one credential, reused for every request while valid
  client.dispose();
});

it("renews the token before it expires on the same client (no new client per renewal)", async () => {
  let clock = Date.now();
  const brokerClient = new BrokerClient({
    brokerUrl: broker.url,
    getAccessToken: () => broker.token(),
    now: () => clock,
  });
  const client = await createCosmosClient(brokerClient, { containers: { items: { access: "read" } } });
  const item = client.database("db").container("items").item("doc-1", "contoso");
  await item.read();
  const first = await brokerClient.getCredential({ type: "cosmos", container: "items", access: "read" });
  clock = Date.parse(first.expiresAt) - 30_000; // inside the refresh margin
  expect((await item.read()).resource).toMatchObject({ id: "doc-1" });
  expect(broker.calls).toEqual([1, 1]);
  client.dispose();
});

it("refuses a container it was not built for instead of sending another container's token", async () => {
  const client = await createCosmosClient(
    new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => broker.token() }),
    { containers: ["items"], endpoint: double.endpoint },
  );
  await expect(client.database("db").container("other").item("x", "contoso").read()).rejects.toThrow(
    /not one this client was built for/,
  );
  expect(broker.calls).toEqual([]);
  client.dispose();
});
