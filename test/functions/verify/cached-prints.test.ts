/**
 * The verified-token cache's fingerprint bits (issue 17): a token the cache holds always has its bit set, through
 * evictions, expiry and rebuilds; a token never added mostly has not (that is the point, not a promise).
 */
import fc from "fast-check";
import { BoundedCache } from "../../../functions-src/bounded-cache";
import { CachedPrints } from "../../../functions-src/verify/cached-prints";

describe("CachedPrints", () => {
  it("never says 'not cached' for a token the cache holds (fast-check)", () => {
    const token = fc.string({ minLength: 1, maxLength: 40 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), token, ttl: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant("get" as const), token }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(op, { minLength: 50, maxLength: 400, size: "max" }),
        (max, ops) => {
          let now = 0;
          const cache = new BoundedCache<number>(max, () => now);
          const prints = new CachedPrints(max, () => cache.keys());
          for (const o of ops) {
            if (o.kind === "set") {
              cache.set(o.token, 1, now + o.ttl);
              prints.add(o.token);
            } else if (o.kind === "tick") now += o.ms;
            else cache.get(o.token); // drops an expired entry
            for (const key of cache.keys()) expect(prints.mayHold(key)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("answers 'not cached' for most tokens never added, also after many rebuilds", () => {
    const cache = new BoundedCache<number>(100, () => 0);
    const prints = new CachedPrints(100, () => cache.keys());
    for (let i = 0; i < 20_000; i++) {
      cache.set(`added-${i}.signature-${i * 7919}`, 1, 1);
      prints.add(`added-${i}.signature-${i * 7919}`);
    }
    let held = 0;
    for (let i = 0; i < 10_000; i++) if (prints.mayHold(`fresh-${i}.signature-${i * 104729}`)) held++;
    expect(held).toBeLessThan(2_500); // at most a quarter of the bits are ever set
  });
});
