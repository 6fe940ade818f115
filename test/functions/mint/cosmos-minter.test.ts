/**
 * Cosmos resource tokens through the real @azure/cosmos SDK against the Cosmos REST contract test double
 * (lib/local/cosmos-rest-contract-double.ts; no local Cosmos component has users and permissions).
 */
import { CosmosClient } from "@azure/cosmos";
import type { GrantedCredential } from "../../../lib/policy/runtime/evaluate";
import { cosmosUserPrefix, createCosmosMinter } from "../../../functions-src/mint/cosmos-minter";
import { BackendUnavailableError, type MintContext } from "../../../functions-src/mint/minter";
import { CosmosRestContractDouble } from "../../../lib/local/cosmos-rest-contract-double";

const double = new CosmosRestContractDouble("db", { items: "/tenantId" });
type CosmosGrant = Extract<GrantedCredential, { type: "cosmos" }>;
const grant = (over: Partial<CosmosGrant> = {}): CosmosGrant => ({
  request: 0,
  type: "cosmos",
  grant: "reader#0",
  database: "db",
  container: "items",
  partitionKeyPath: "/tenantId",
  partitionKey: "contoso",
  access: "read",
  ttlSeconds: 3600,
  ...over,
});
const ctx = (over: Partial<MintContext> = {}): MintContext => ({
  subject: "alice",
  issuer: "idp",
  claims: {},
  now: Date.now(),
  ...over,
});
let settings: { endpoint: string; key: string; database: string };

beforeAll(async () => {
  await double.start();
  settings = { endpoint: double.endpoint, key: double.key, database: "db" };
  const admin = new CosmosClient({ endpoint: double.endpoint, key: double.key }).database("db").container("items");
  await admin.items.create({ id: "doc-1", tenantId: "contoso", title: "ours" });
  await admin.items.create({ id: "doc-2", tenantId: "fabrikam", title: "theirs" });
});
afterAll(() => double.stop());

it("mints a resource token that CosmosClient uses to read inside the granted partition, and nowhere else", async () => {
  const credential = await createCosmosMinter(() => settings).mint(grant(), ctx());
  expect(credential).toMatchObject({
    type: "cosmos",
    endpoint: double.endpoint,
    database: "db",
    container: "items",
    partitionKey: "contoso",
    access: "read",
    resourceTokens: { "dbs/db/colls/items": expect.stringMatching(/^type=resource&ver=1\.0&sig=/) },
  });
  const client = new CosmosClient({
    endpoint: credential.endpoint as string,
    resourceTokens: credential.resourceTokens as Record<string, string>,
  });
  const items = client.database("db").container("items");
  const { resource } = await items.item("doc-1", "contoso").read();
  expect(resource).toMatchObject({ id: "doc-1", title: "ours" });
  await expect(items.item("doc-2", "fabrikam").read()).rejects.toMatchObject({ code: 403 });
});

it("costs at most two round trips per permission per token lifetime (the user's touch for GC, the read)", async () => {
  const minter = createCosmosMinter(() => settings);
  await minter.mint(grant(), ctx({ subject: "bob" })); // new user: upsert, permission 404, upsert, permission
  const first = minter.roundTrips();
  expect(first).toBe(4);
  for (let i = 0; i < 5; i++) await minter.mint(grant(), ctx({ subject: "bob" }));
  expect(minter.roundTrips()).toBe(first);
  // Another partition is another user with its own permission (issue 7.3): created, not replaced.
  await minter.mint(grant({ partitionKey: "contoso-2" }), ctx({ subject: "bob" }));
  expect(minter.roundTrips()).toBe(first + 4);
  // Close to expiry, the cached token is not handed out again: the user is touched, the permission read.
  await minter.mint(grant({ partitionKey: "contoso-2" }), ctx({ subject: "bob", now: Date.now() + 3600_000 - 60_000 }));
  expect(minter.roundTrips()).toBe(first + 6);
});

it("uses the requested lifetime and the documented bounds", async () => {
  const minter = createCosmosMinter(() => settings);
  const now = Date.now();
  const c = await minter.mint(grant({ ttlSeconds: 18000 }), ctx({ subject: "carol", now }));
  expect(Date.parse(String(c.expiresAt)) - now).toBe(18000 * 1000);
  // A caller with nothing cached, so the request reaches the service, which refuses more than 5 h.
  await expect(minter.mint(grant({ ttlSeconds: 18001 }), ctx({ subject: "carol-2" }))).rejects.toMatchObject({
    code: 400,
  });
});

it("never hands out a cached token that outlives the ttl the grant allows", async () => {
  const minter = createCosmosMinter(() => settings);
  const now = Date.now();
  await minter.mint(grant({ ttlSeconds: 18000 }), ctx({ subject: "heidi", now }));
  const trips = minter.roundTrips();
  const short = await minter.mint(grant({ ttlSeconds: 600 }), ctx({ subject: "heidi", now }));
  expect(Date.parse(String(short.expiresAt)) - now).toBe(600_000);
  expect(minter.roundTrips()).toBe(trips + 2); // not from the cache: the user's touch and a fresh read
});

it("says the backend is unavailable when the account key is wrong or the service is down, never what the key was", async () => {
  const wrongKey = createCosmosMinter(() => ({ ...settings, key: Buffer.from("wrong").toString("base64") }));
  const e = await wrongKey.mint(grant(), ctx({ subject: "dave" })).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(BackendUnavailableError);
  expect((e as Error).message).not.toContain(settings.key);
  const down = createCosmosMinter(() => ({ ...settings, endpoint: "http://127.0.0.1:9/" }));
  await expect(down.mint(grant(), ctx({ subject: "erin" }))).rejects.toBeInstanceOf(BackendUnavailableError);
}, 60_000);

it("gives each caller its own Cosmos user, named by a digest", async () => {
  const minter = createCosmosMinter(() => settings);
  const a = await minter.mint(grant(), ctx({ subject: "frank" }));
  const b = await minter.mint(grant(), ctx({ subject: "grace" }));
  expect(Object.values(a.resourceTokens as object)[0]).not.toBe(Object.values(b.resourceTokens as object)[0]);
  expect(double.calls.filter((c) => c === "POST users").length).toBeGreaterThanOrEqual(2);
});

describe("issue 7.3 one Cosmos permission per (container, partition key, mode), never overwritten", () => {
  const read = (credential: Record<string, unknown>, id: string, pk: string) =>
    new CosmosClient({
      endpoint: credential.endpoint as string,
      resourceTokens: credential.resourceTokens as Record<string, string>,
    })
      .database("db")
      .container("items")
      .item(id, pk)
      .read();

  it("asks partitions A, B, A (and A with another mode): every token works through the SDK, none replaced", async () => {
    const minter = createCosmosMinter(() => settings);
    const caller = ctx({ subject: "ivan@contoso" });
    const a1 = await minter.mint(grant({ partitionKey: "contoso" }), caller);
    expect((await read(a1, "doc-1", "contoso")).resource).toMatchObject({ id: "doc-1" });
    const b = await minter.mint(grant({ partitionKey: "fabrikam" }), caller);
    expect((await read(b, "doc-2", "fabrikam")).resource).toMatchObject({ id: "doc-2" });
    const a2 = await minter.mint(grant({ partitionKey: "contoso" }), caller);
    expect((await read(a2, "doc-1", "contoso")).resource).toMatchObject({ id: "doc-1" });
    const aAll = await minter.mint(grant({ partitionKey: "contoso", access: "all" }), caller);
    expect((await read(aAll, "doc-1", "contoso")).resource).toMatchObject({ id: "doc-1" });
    // Tokens handed out earlier still work: asking for B or for another mode replaced nothing.
    expect((await read(a1, "doc-1", "contoso")).resource).toMatchObject({ id: "doc-1" });
    expect((await read(b, "doc-2", "fabrikam")).resource).toMatchObject({ id: "doc-2" });
    // And each token stays inside its own partition.
    await expect(read(b, "doc-1", "contoso")).rejects.toMatchObject({ code: 403 });
  });

  it("keeps the cache coherent with the account: one permission per (container, partition, mode), ids are digests", async () => {
    const minter = createCosmosMinter(() => settings);
    const caller = ctx({ subject: "judy@contoso" });
    for (const [pk, access] of [
      ["contoso", "read"],
      ["fabrikam", "read"],
      ["contoso", "all"],
      ["contoso", "read"],
    ] as const) {
      await minter.mint(grant({ partitionKey: pk, access }), caller);
    }
    const mine = double.userIds().filter((id) => id.startsWith(cosmosUserPrefix("idp", "judy@contoso")));
    const permissions = mine.flatMap((id) => double.permissionsOf(id));
    expect(permissions.map((p) => [p.resourcePartitionKey, p.permissionMode]).sort()).toEqual([
      [["contoso"], "All"],
      [["contoso"], "Read"],
      [["fabrikam"], "Read"],
    ]);
    for (const id of [...mine, ...permissions.map((p) => p.id)]) {
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(id).not.toMatch(/judy|contoso|fabrikam|items/);
    }
  });

  it("two broker instances minting the same first grant at once both succeed, with one permission in the account", async () => {
    const [one, two] = [createCosmosMinter(() => settings), createCosmosMinter(() => settings)];
    const caller = ctx({ subject: "lena" });
    const [a, b] = await Promise.all([one.mint(grant(), caller), two.mint(grant(), caller)]);
    for (const c of [a, b]) expect((await read(c, "doc-1", "contoso")).resource).toMatchObject({ id: "doc-1" });
    const mine = double.userIds().filter((id) => id.startsWith(cosmosUserPrefix("idp", "lena")));
    expect(mine.flatMap((id) => double.permissionsOf(id))).toHaveLength(1);
  });

  it("a permission replaced behind the broker's back (the double follows the strict reading) is minted again", async () => {
    const minter = createCosmosMinter(() => settings);
    const caller = ctx({ subject: "ken" });
    const first = await minter.mint(grant(), caller);
    // Someone (an operator, a GC) deletes the caller's users: the cache must not keep handing out dead tokens.
    const admin = new CosmosClient({ endpoint: double.endpoint, key: double.key }).database("db");
    for (const id of double.userIds().filter((u) => u.startsWith(cosmosUserPrefix("idp", "ken"))))
      await admin.user(id).delete();
    await expect(read(first, "doc-1", "contoso")).rejects.toMatchObject({ code: 401 });
    minter.forget("idp", "ken");
    const again = await minter.mint(grant(), caller);
    expect((await read(again, "doc-1", "contoso")).resource).toMatchObject({ id: "doc-1" });
  });
});
