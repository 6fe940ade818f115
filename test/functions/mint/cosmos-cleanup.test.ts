/**
 * Deleting a caller's Cosmos metadata and collecting garbage, through the real @azure/cosmos SDK against the
 * Cosmos REST contract double (users/permissions exist nowhere locally).
 */
import { CosmosClient, type Database } from "@azure/cosmos";
import type { GrantedCredential } from "../../../lib/policy/runtime/evaluate";
import {
  collectCosmosGarbage,
  deleteCallerFromCosmos,
  guardCosmosMinter,
} from "../../../functions-src/mint/cosmos-cleanup";
import { cosmosUserPrefix, createCosmosMinter } from "../../../functions-src/mint/cosmos-minter";
import type { MintContext, Minter } from "../../../functions-src/mint/minter";
import { MemoryStore } from "../../../functions-src/store/memory-store";
import type { SharedStore } from "../../../functions-src/store/shared-store";
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
  ttlSeconds: 600,
  ...over,
});
let clock = Date.now();
const ctx = (subject: string): MintContext => ({ subject, issuer: "idp", claims: {}, now: clock });
let settings: { endpoint: string; key: string; database: string };
let db: Database;
const DAY = 86_400_000;
const usersOf = (subject: string) => double.userIds().filter((id) => id.startsWith(cosmosUserPrefix("idp", subject)));

beforeAll(async () => {
  double.now = () => clock;
  await double.start();
  settings = { endpoint: double.endpoint, key: double.key, database: "db" };
  db = new CosmosClient({ endpoint: double.endpoint, key: double.key }).database("db");
  await db.container("items").items.create({ id: "doc-1", tenantId: "contoso", title: "ours" });
});
afterAll(() => double.stop());

const tokenOf = (c: Record<string, unknown>) => (c.resourceTokens as Record<string, string>)["dbs/db/colls/items"];
const readWith = (token: string) =>
  new CosmosClient({ endpoint: double.endpoint, resourceTokens: { "dbs/db/colls/items": token } })
    .database("db")
    .container("items")
    .item("doc-1", "contoso")
    .read();

it("deletes every user and permission of a revoked caller, found by enumeration; idempotent", async () => {
  const minter = createCosmosMinter(() => settings);
  const credential = await minter.mint(grant(), ctx("mallory"));
  await minter.mint(grant({ partitionKey: "contoso-2" }), ctx("mallory"));
  await minter.mint(grant(), ctx("alice"));
  expect(usersOf("mallory")).toHaveLength(2);
  expect(await deleteCallerFromCosmos(db, "idp", "mallory")).toEqual({ permissions: 2, users: 2 });
  expect(usersOf("mallory")).toEqual([]);
  expect(usersOf("alice")).toHaveLength(1);
  expect(await deleteCallerFromCosmos(db, "idp", "mallory")).toEqual({ permissions: 0, users: 0 });
  // The double takes the strict reading (a deleted permission's tokens stop); real Cosmos may keep them to expiry.
  await expect(readWith(tokenOf(credential))).rejects.toMatchObject({ code: 401 });
});

describe("garbage collection", () => {
  it("deletes the users of callers whose credentials all expired long enough ago, in bounded runs, idempotently", async () => {
    const store = new MemoryStore(1000, () => clock);
    const minter = guardCosmosMinter(
      createCosmosMinter(() => settings, { cacheEntries: 1 }),
      store,
    );
    for (let i = 0; i < 7; i++) await minter.mint(grant(), ctx(`old-${i}`));
    await minter.mint(grant(), ctx("regular"));
    clock += 2 * DAY;
    // The regular comes back: the minter re-reads its old permission (`_ts` unchanged), the store records it.
    await minter.mint(grant(), ctx("regular"));
    await minter.mint(grant(), ctx("recent"));
    const runs = [];
    for (let i = 0; i < 5; i++)
      runs.push(
        await collectCosmosGarbage(db, { expiredForSeconds: 3600, maxUsersPerRun: 3, store, now: () => clock }),
      );
    expect(runs.every((r) => r.scanned <= 3)).toBe(true);
    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBe(7 + 1); // the old callers and alice (no record)
    expect(double.userIds().sort()).toEqual([...usersOf("regular"), ...usersOf("recent")].sort());
    expect((await collectCosmosGarbage(db, { expiredForSeconds: 3600, store, now: () => clock })).deleted).toBe(0);
  });

  /**
   * The exchange arrives after GC listed the caller's user as garbage and just before it deletes. `delete`:
   * "conditional" is the collector as shipped; "unconditional" deletes the user at that moment regardless, to show the
   * schedule really races (the property is not vacuous).
   */
  const race = async (subject: string, store: SharedStore, minter: Minter<"cosmos">, unconditional = false) => {
    await minter.mint(grant(), ctx(subject));
    clock += 2 * DAY;
    let racing: Promise<Record<string, unknown>> | undefined;
    await collectCosmosGarbage(db, {
      expiredForSeconds: 3600,
      store,
      now: () => clock,
      beforeDelete: async (userId) => {
        if (!userId.startsWith(cosmosUserPrefix("idp", subject)) || racing) return;
        racing = minter.mint(grant(), ctx(subject));
        await new Promise((r) => setTimeout(r, 150));
        if (unconditional) await db.user(userId).delete();
      },
    });
    return readWith(tokenOf(await racing!)).then(
      () => true,
      () => false,
    );
  };
  const minter = () => createCosmosMinter(() => settings, { cacheEntries: 1 });

  it("never leaves an issued credential without its permission when an exchange races it, with no shared store", async () => {
    // Each broker instance has its own in-memory store: nothing is shared but Cosmos itself.
    expect(await race("racer-instance", new MemoryStore(1000, () => clock), minter())).toBe(true);
    expect(await race("racer-unconditional", new MemoryStore(1000, () => clock), minter(), true)).toBe(false);
  });

  it("and with the shared store's guard as well", async () => {
    const shared = Object.defineProperty(Object.create(new MemoryStore(1000, () => clock)), "scope", {
      value: "shared",
    }) as SharedStore;
    expect(await race("racer-shared", shared, guardCosmosMinter(minter(), shared))).toBe(true);
  });

  it("leaves a user whose `_etag` changed since the listing (a mint touched it): 412, not a delete", async () => {
    await minter().mint(grant(), ctx("toucher"));
    clock += 2 * DAY;
    const touched = await collectCosmosGarbage(db, {
      expiredForSeconds: 3600,
      store: new MemoryStore(1000, () => clock),
      now: () => clock,
      beforeDelete: async (userId) => {
        if (userId.startsWith(cosmosUserPrefix("idp", "toucher"))) await db.users.upsert({ id: userId });
      },
    });
    expect(touched.skippedActive).toBeGreaterThanOrEqual(1);
    expect(usersOf("toucher")).toHaveLength(1);
  });
});
