/**
 * Deleting a caller's Cosmos metadata and collecting garbage, through the real @azure/cosmos SDK against the
 * Cosmos REST contract double (users/permissions exist nowhere locally).
 */
import { CosmosClient, type Database } from "@azure/cosmos";
import type { GrantedCredential } from "../../../lib/policy/runtime/evaluate";
import { collectCosmosGarbage, deleteCallerFromCosmos, guardCosmosMinter } from "../../../functions-src/mint/cosmos-cleanup";
import { createCosmosMinter } from "../../../functions-src/mint/cosmos-minter";
import { cosmosUserId } from "../../../functions-src/mint/cosmos-user-id";
import type { MintContext, Minter } from "../../../functions-src/mint/minter";
import { MemoryStore } from "../../../functions-src/store/memory-store";
import { CosmosRestContractDouble } from "../../../lib/local/cosmos-rest-contract-double";

const double = new CosmosRestContractDouble("db", { items: "/tenantId" });
type CosmosGrant = Extract<GrantedCredential, { type: "cosmos" }>;
const grant = (over: Partial<CosmosGrant> = {}): CosmosGrant => ({ request: 0, type: "cosmos", grant: "reader#0", database: "db", container: "items", partitionKeyPath: "/tenantId", partitionKey: "contoso", access: "read", ttlSeconds: 600, ...over });
const ctx = (subject: string, now = double.now()): MintContext => ({ subject, issuer: "idp", claims: {}, now });
let settings: { endpoint: string; key: string; database: string };
let db: Database;
let clock = Date.now();
const DAY = 86_400_000;

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
  new CosmosClient({ endpoint: double.endpoint, resourceTokens: { "dbs/db/colls/items": token } }).database("db").container("items").item("doc-1", "contoso").read();

describe("deleting a revoked caller's metadata", () => {
  it("enumerates and deletes the caller's permissions and user; idempotent", async () => {
    const credential = await createCosmosMinter(() => settings).mint(grant(), ctx("mallory"));
    expect(double.snapshotUsers().has(cosmosUserId("idp", "mallory"))).toBe(true);
    expect(await deleteCallerFromCosmos(db, "idp", "mallory")).toEqual({ permissions: 1, user: true });
    expect(double.snapshotUsers().has(cosmosUserId("idp", "mallory"))).toBe(false);
    expect(await deleteCallerFromCosmos(db, "idp", "mallory")).toEqual({ permissions: 0, user: false });
    // As documented for Cosmos (the double follows it): deleting does not revoke an issued token; its TTL bounds it.
    await expect(readWith(tokenOf(credential))).resolves.toMatchObject({ statusCode: 200 });
    clock += 601_000;
    await expect(readWith(tokenOf(credential))).rejects.toMatchObject({ code: 401 });
  });
});

describe("garbage collection", () => {
  it("deletes only users whose permissions all expired long enough ago, in bounded runs, idempotently", async () => {
    const minter = createCosmosMinter(() => settings, { cacheEntries: 1 });
    for (let i = 0; i < 7; i++) await minter.mint(grant(), ctx(`old-${i}`));
    clock += 2 * DAY;
    await minter.mint(grant(), ctx("recent"));
    const store = new MemoryStore();
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await collectCosmosGarbage(db, { expiredForSeconds: 3600, maxUsersPerRun: 3, store, now: () => clock }));
    expect(runs.every((r) => r.scanned <= 3)).toBe(true);
    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBe(7);
    const left = [...double.snapshotUsers().keys()];
    expect(left).toEqual([cosmosUserId("idp", "recent")]);
    const again = await collectCosmosGarbage(db, { expiredForSeconds: 3600, store, now: () => clock });
    expect(again.deleted).toBe(0);
  });

  it("never leaves an issued credential without its permission when an exchange races the collector", async () => {
    const outcome = async (guarded: boolean, subject: string) => {
      const store = new MemoryStore(1000, () => clock);
      const inner = createCosmosMinter(() => settings, { cacheEntries: 1 });
      const minter: Minter<"cosmos"> = guarded ? guardCosmosMinter(inner, store) : inner;
      await minter.mint(grant(), ctx(subject));
      clock += 2 * DAY;
      let racing: Promise<Record<string, unknown>> | undefined;
      // The exchange arrives after GC decided the user is garbage and just before it deletes.
      await collectCosmosGarbage(db, {
        expiredForSeconds: 3600,
        store: guarded ? store : undefined,
        now: () => clock,
        beforeDelete: async (userId) => {
          if (userId !== cosmosUserId("idp", subject) || racing) return;
          racing = minter.mint(grant(), ctx(subject));
          await new Promise((r) => setTimeout(r, 150));
        },
      });
      const issued = tokenOf(await racing!);
      return double.snapshotUsers().get(cosmosUserId("idp", subject))?.includes(issued) ?? false;
    };
    expect(await outcome(true, "racer-guarded")).toBe(true);
    // The same schedule without the guard loses the permission: the property above is not vacuous.
    expect(await outcome(false, "racer-unguarded")).toBe(false);
  });
});
