/** One contract for both stores: Redis (Debian's redis-server, started here) and in-memory. */
import { MemoryStore } from "../../../functions-src/store/memory-store";
import { RedisStore } from "../../../functions-src/store/redis-store";
import { StoreUnavailableError, type SharedStore } from "../../../functions-src/store/shared-store";
import { LocalRedis } from "../../../lib/local/redis";

const redis = new LocalRedis();
let stores: [string, SharedStore][];

beforeAll(async () => {
  await redis.start();
  stores = [
    ["redis", await RedisStore.connect({ url: redis.url })],
    ["memory", new MemoryStore()],
  ];
});
afterAll(async () => {
  for (const [, s] of stores ?? []) await s.close();
  await redis.stop();
});

const each = (name: string, fn: (store: SharedStore) => Promise<void>) =>
  it.each(["redis", "memory"])(`%s: ${name}`, async (kind) => fn(stores.find(([k]) => k === kind)![1]));

each("stores, reads several keys at once, expires and deletes", async (store) => {
  await store.set("a", "1", 60_000);
  await store.set("short", "2", 50);
  expect(await store.getMany(["a", "short", "missing"])).toEqual(["1", "2", null]);
  await new Promise((r) => setTimeout(r, 120));
  expect(await store.getMany(["a", "short"])).toEqual(["1", null]);
  await store.delete("a");
  expect(await store.getMany(["a"])).toEqual([null]);
});

each("claims a key atomically: one winner among concurrent claims", async (store) => {
  const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.setIfAbsent("claim", String(i), 5000)));
  expect(wins.filter(Boolean)).toHaveLength(1);
});

each("counts a rate budget in fixed windows", async (store) => {
  const limiter = store.rateLimiter({ keyPrefix: `t-${Math.random()}`, points: 3, durationSeconds: 10 });
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => limiter.consume("caller")));
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected"]);
});

it("redis: a stopped server is 'unavailable' within a second, and the store recovers when it is back", async () => {
  const store = stores[0][1];
  await redis.stop();
  const started = Date.now();
  await expect(store.getMany(["a"])).rejects.toBeInstanceOf(StoreUnavailableError);
  expect(Date.now() - started).toBeLessThan(1000);
  expect(await store.ping()).toBe(false);
  await redis.start();
  const deadline = Date.now() + 5000;
  while (!(await store.ping()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await store.set("back", "yes", 1000);
  expect(await store.getMany(["back"])).toEqual(["yes"]);
});
