/** BoundedCache: count and byte bounds, expiry against the injected clock. */
import { BoundedCache } from "../../functions-src/bounded-cache";
import { CACHE_BUDGET } from "../../functions-src/memory-budget";

describe("BoundedCache", () => {
  let t = 1_000;
  const now = () => t;

  it("expires entries at their time and drops the least recently used beyond the count", () => {
    const c = new BoundedCache<number>(2, now);
    c.set("a", 1, 2_000);
    c.set("b", 2, 5_000);
    expect(c.get("a")).toBe(1);
    c.set("c", 3, 5_000); // b is the least recently used
    expect([c.get("a"), c.get("b"), c.get("c")]).toEqual([1, undefined, 3]);
    t = 2_000;
    expect(c.get("a")).toBeUndefined();
    expect(c.get("c")).toBe(3);
  });

  it("with a byte bound, evicts by estimated bytes before the count binds", () => {
    const c = new BoundedCache<string>(1_000, now, { maxBytes: 1_000, sizeOf: (v, k) => v.length + k.length });
    for (let i = 0; i < 10; i++) c.set(`k${i}`, "x".repeat(198), 1e12); // 200 bytes each
    expect(c.size).toBe(5);
    expect(c.bytes).toBe(1_000);
    expect(c.get("k4")).toBeUndefined();
    expect(c.get("k9")).toHaveLength(198);
  });

  it("does not cache an entry larger than the whole budget, and keeps the rest", () => {
    const c = new BoundedCache<string>(10, now, { maxBytes: 100, sizeOf: (v) => v.length });
    c.set("small", "x".repeat(50), 1e12);
    c.set("huge", "x".repeat(101), 1e12);
    expect(c.get("huge")).toBeUndefined();
    expect(c.get("small")).toHaveLength(50);
  });

  it("the verified-token budget holds fewer large tokens than small ones (8 KB tokens cannot fill the heap)", () => {
    const { maxBytes, sizeOf } = CACHE_BUDGET.verifiedTokens;
    const fill = (tokenLength: number) => {
      const c = new BoundedCache<object>(10_000, now, CACHE_BUDGET.verifiedTokens);
      for (let i = 0; i < 10_000; i++) c.set(`${i}.`.padEnd(tokenLength, "t"), {}, 1e12);
      return c;
    };
    const small = fill(340);
    const large = fill(8_192);
    expect(small.size).toBe(Math.min(10_000, Math.floor(maxBytes / sizeOf({}, "t".repeat(340)))));
    expect(large.size).toBe(Math.floor(maxBytes / sizeOf({}, "t".repeat(8_192))));
    expect(large.bytes).toBeLessThanOrEqual(maxBytes);
  });
});
