/** The per-subject token bucket: burst, refill, Retry-After, and forgetting a bucket only once it is full again. */
import { SubjectRateLimiter } from "../../functions-src/rate-limit";

describe("SubjectRateLimiter", () => {
  let t = 1_000_000;
  const now = () => t;
  beforeEach(() => (t = 1_000_000));

  it("allows a burst, then one request per refill interval, with Retry-After in whole seconds", () => {
    const limiter = new SubjectRateLimiter({ burst: 3, perSecond: 2, now });
    expect([1, 2, 3].map(() => limiter.take("a"))).toEqual([0, 0, 0]);
    expect(limiter.take("a")).toBe(1); // 0.5 s until the next token: Retry-After rounds up
    t += 499;
    expect(limiter.take("a")).toBe(1);
    t += 1;
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(1);
  });

  it("refills at perSecond up to the burst, never beyond", () => {
    const limiter = new SubjectRateLimiter({ burst: 4, perSecond: 1, now });
    for (let i = 0; i < 4; i++) expect(limiter.take("a")).toBe(0);
    t += 2_000; // two tokens back
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 1]);
    t += 60_000; // full again, and no more than full
    expect([0, 1, 2, 3, 4].map(() => limiter.take("a"))).toEqual([0, 0, 0, 0, 1]);
  });

  it("a long wait is reported as such (slow refill)", () => {
    const limiter = new SubjectRateLimiter({ burst: 1, perSecond: 0.001, now });
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(1000);
  });

  it("keeps subjects apart", () => {
    const limiter = new SubjectRateLimiter({ burst: 1, perSecond: 1, now });
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(1);
    expect(limiter.take("b")).toBe(0);
  });

  it("a bucket is dropped when it is full again, and a dropped bucket behaves as a full one", () => {
    const limiter = new SubjectRateLimiter({ burst: 2, perSecond: 1, now });
    const held = () => (limiter as unknown as { fullAt: { size: number } }).fullAt.size;
    limiter.take("a");
    limiter.take("a");
    expect(limiter.take("a")).toBe(1);
    t += 1_999;
    expect(limiter.take("a")).toBe(0); // 1.999 tokens back
    t += 2_000;
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 1]);
    expect(held()).toBe(1);
  });

  it("holds at most maxSubjects buckets; an evicted bucket starts full (only the least recently seen go)", () => {
    const limiter = new SubjectRateLimiter({ burst: 1, perSecond: 0.001, maxSubjects: 3, now });
    for (const s of ["a", "b", "c", "d"]) expect(limiter.take(s)).toBe(0);
    expect((limiter as unknown as { fullAt: { size: number } }).fullAt.size).toBe(3);
    expect(limiter.take("a")).toBe(0); // evicted: forgotten
    expect(limiter.take("d")).toBe(1000); // recent: still limited
  });
});
