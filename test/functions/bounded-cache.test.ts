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

  describe("grows in steps instead of allocating for its maximum up front (cold start)", () => {
    it("keeps the order of use, and the count bound, across growth", () => {
      const c = new BoundedCache<number>(5_000, now);
      for (let i = 0; i < 1_024; i++) c.set(`k${i}`, i, 1e12);
      expect(c.get("k0")).toBe(0); // k0 is now the most recently used, k1 the least
      for (let i = 1_024; i < 5_000; i++) c.set(`k${i}`, i, 1e12); // grows to 4,096, then to 5,000
      expect(c.size).toBe(5_000);
      c.set("one more", -1, 1e12);
      expect(c.size).toBe(5_000);
      expect([c.get("k0"), c.get("k1"), c.get("k2"), c.get("one more")]).toEqual([0, undefined, 2, -1]);
    });

    it("keeps the byte bound and leaves expired entries behind when it grows", () => {
      const c = new BoundedCache<string>(10_000, now, { maxBytes: 20_000, sizeOf: (v) => v.length });
      c.set("expired", "x", t - 1);
      for (let i = 0; i < 1_023; i++) c.set(`k${i}`, "y".repeat(10), 1e12);
      expect(c.size).toBe(1_024);
      c.set("k1023", "y".repeat(10), 1e12); // full at 1,024: grows, copying only the live entries
      expect(c.size).toBe(1_024);
      expect(c.get("expired")).toBeUndefined();
      for (let i = 1_024; i < 3_000; i++) c.set(`k${i}`, "y".repeat(10), 1e12);
      expect(c.bytes).toBe(20_000);
      expect(c.size).toBe(2_000);
      expect([c.get("k999"), c.get("k1000")]).toEqual([undefined, "y".repeat(10)]);
    });

    it("takes no memory for room it has not used", () => {
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      const caches = Array.from({ length: 10 }, () => new BoundedCache<number>(1_000_000, now));
      const grown = process.memoryUsage().heapUsed - before;
      // Allocating for the maximum would take at least 10 x 1,000,000 x 2 array slots of 8 bytes (160 MB).
      expect(grown).toBeLessThan(16 * 2 ** 20);
      expect(caches.map((c) => c.size)).toEqual(Array(10).fill(0));
    });
  });
});
