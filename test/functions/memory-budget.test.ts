/**
 * The caches cannot outgrow the heap cap the Function App runs with (functions-src/memory-budget.ts). The byte-bounded
 * caches are bounded by construction; the rate limiter is bounded by count, so its worst case is measured here:
 * 100,000 buckets for subjects of 255 characters (the longest `sub` OpenID Connect Core 1.0 §2 allows).
 */
import v8 from "node:v8";
import vm from "node:vm";
import { identityKey } from "../../functions-src/identity-key";
import { CACHE_BUDGET, MAX_OLD_SPACE_MB } from "../../functions-src/memory-budget";
import { SubjectRateLimiter } from "../../functions-src/rate-limit";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

it("a full rate limiter with the longest subjects, plus every byte budget, stays under half the heap cap", () => {
  const before = heapMb();
  const limiter = new SubjectRateLimiter();
  for (let i = 0; i < 100_000; i++) limiter.take(identityKey({ issuer: "idp", subject: `${i}-`.padEnd(255, "s") }));
  const rateLimiterMb = heapMb() - before;
  expect(limiter.take(identityKey({ issuer: "idp", subject: "0-".padEnd(255, "s") }))).toBe(0); // still held
  const budgetsMb = Object.values(CACHE_BUDGET).reduce((sum, b) => sum + b.maxBytes, 0) / 2 ** 20;
  // Half: the other half is the code and modules, the count-bounded revocation caches and the garbage between GCs.
  expect(rateLimiterMb + budgetsMb).toBeLessThan(MAX_OLD_SPACE_MB / 2);
  process.stdout.write(`rate limiter worst case ${rateLimiterMb.toFixed(1)} MB, byte budgets ${budgetsMb} MB\n`);
});
