/** Which store a broker uses (announced at start), the Entra user name, and the Cosmos GC timer's registration. */
import { InvocationContext } from "@azure/functions";
import {
  cosmosGcFromEnvironment,
  registerCosmosGcTimer,
  type TimerRegistrar,
} from "../../../functions-src/adapters/cosmos-gc-timer";
import { cosmosUserPrefix } from "../../../functions-src/mint/cosmos-minter";
import { MemoryStore } from "../../../functions-src/store/memory-store";
import { objectIdOf } from "../../../functions-src/store/redis-store";
import { storeFromEnvironment } from "../../../functions-src/store/store-from-environment";
import { CosmosRestContractDouble } from "../../../lib/local/cosmos-rest-contract-double";
import { LocalRedis } from "../../../lib/local/redis";

it("announces in-memory single-instance semantics without a store, and the shared store when one is set", async () => {
  const lines: string[] = [];
  const memory = await storeFromEnvironment({}, (l) => lines.push(l));
  expect([memory.kind, memory.scope]).toEqual(["memory", "instance"]);
  const redis = await new LocalRedis().start();
  try {
    const shared = await storeFromEnvironment({ SHARED_STORE_URL: redis.url }, (l) => lines.push(l));
    expect([shared.kind, shared.scope]).toEqual(["redis", "shared"]);
    await shared.close();
  } finally {
    await redis.stop();
  }
  expect(lines[0]).toMatch(/in-memory store, single-instance semantics/);
  expect(lines[1]).toMatch(
    /^token broker: shared store redis at 127\.0\.0\.1:\d+: revocations and the rate budget hold/,
  );
  await expect(
    storeFromEnvironment({ SHARED_STORE_URL: "redis://127.0.0.1:1" }, () => undefined),
  ).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
});

it("takes the Redis user name from the identity's own token (oid), and refuses a token without one", () => {
  const token = (payload: object) => `e30.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.sig`;
  expect(objectIdOf(token({ oid: "0b5e3a10-0000-4000-8000-000000000009" }))).toBe(
    "0b5e3a10-0000-4000-8000-000000000009",
  );
  expect(() => objectIdOf(token({ sub: "x" }))).toThrow(/oid/);
});

it("registers the GC as a timer that collects through the configured Cosmos account, with no shared store", async () => {
  const registered: { name: string; schedule: string; handler: Parameters<TimerRegistrar["timer"]>[1]["handler"] }[] =
    [];
  const double = await new CosmosRestContractDouble("db", { items: "/tenantId" }).start();
  try {
    const oldUser = `${cosmosUserPrefix("idp", "old")}x`;
    const newUser = `${cosmosUserPrefix("idp", "new")}x`;
    double.seedForSoak(oldUser, "items", Date.now() - 3 * 86_400_000);
    double.seedForSoak(newUser, "items", Date.now());
    const env = {
      COSMOS_ENDPOINT: double.endpoint,
      COSMOS_KEY: double.key,
      COSMOS_DATABASE: "db",
      COSMOS_GC_EXPIRED_FOR_SECONDS: "3600",
    };
    const store = Promise.resolve(new MemoryStore());
    // Off only when asked; on by default, with the in-memory store too (no flag, no shared store).
    expect(await cosmosGcFromEnvironment({ ...env, COSMOS_GC: "off" }, store)).toBeUndefined();
    registerCosmosGcTimer(
      { timer: (name, o) => registered.push({ name, schedule: o.schedule, handler: o.handler }) },
      () => cosmosGcFromEnvironment(env, store),
    );
    expect(registered.map((r) => [r.name, r.schedule])).toEqual([["cosmosGc", "0 */10 * * * *"]]);
    const logged: unknown[] = [];
    const context = new InvocationContext({ logHandler: (_level, ...args) => logged.push(args) });
    await registered[0].handler(
      { schedule: { adjustForDST: false }, isPastDue: false, scheduleStatus: { last: "", next: "", lastUpdated: "" } },
      context,
    );
    expect(double.userIds()).toEqual([newUser]);
    expect(JSON.stringify(logged)).toContain('"deleted":1');
  } finally {
    await double.stop();
  }
  expect(await cosmosGcFromEnvironment({}, Promise.resolve(new MemoryStore()))).toBeUndefined();
});
