/**
 * The load bench's token pools against the broker's real per-subject rate limiter: a run at the sized peak rate,
 * in the driver's exact token order, is never refused, and a repeat pool one tenth smaller is (so the sizing is
 * what keeps the run clean, not a generous margin).
 */
import { RATE_LIMIT_DEFAULTS, SubjectRateLimiter } from "../../../functions-src/rate-limit";
import { TokenSequence, tokenPools, type TokenPools } from "./token-pools";

const { burst, perSecond } = RATE_LIMIT_DEFAULTS;

const subjects = (pools: TokenPools) => ({
  fresh: Array.from({ length: pools.fresh }, (_, i) => `fresh-${i}`),
  repeat: Array.from({ length: pools.repeat }, (_, i) => `regular-${i}`),
});

/** Sends seconds * peakRate requests evenly spaced in time, subjects in `next`'s order; counts the refusals. */
function refusedAtPeak(next: () => string, seconds: number, peakRate: number) {
  let clock = 0;
  const limiter = new SubjectRateLimiter({ now: () => clock });
  let refused = 0;
  for (let k = 0; k < seconds * peakRate; k++) {
    clock = (k * 1000) / peakRate;
    if (limiter.take(next()) > 0) refused++;
  }
  return refused;
}

describe("load bench token pools", () => {
  for (const [name, seconds, peakRate] of [
    ["quick", 5, 10_000],
    ["full", 60, 10_000],
    ["full on a slower machine", 60, 3_000],
  ] as const) {
    test(`${name}: ${seconds} s at ${peakRate} req/s is never rate-limited and never runs out of fresh tokens`, () => {
      const pools = tokenPools({ seconds, peakRate, freshEvery: 10, burst, perSecond });
      const sequence = new TokenSequence(subjects(pools), 10);
      expect(refusedAtPeak(() => sequence.next(), seconds, peakRate)).toBe(0);
      expect(sequence.freshUsed).toBe((seconds * peakRate) / 10);

      const smaller = new TokenSequence(subjects({ ...pools, repeat: Math.floor(pools.repeat * 0.95) }), 10);
      expect(refusedAtPeak(() => smaller.next(), seconds, peakRate)).toBeGreaterThan(0);
    });
  }

  test("the quick run that answered 429s: 500 callers, cycled on the request number, at 3,200 req/s for 5 s", () => {
    // ~16,000 requests in 5 s over 20 connections: the quick run's rate when it reported 773-1,437 non-2xx. The old
    // driver picked repeat caller (request number % 500), so the 50 callers at multiples of 10 never came up.
    const { fresh, repeat } = subjects({ fresh: 2_000, repeat: 500 });
    let n = 0;
    let nextFresh = 0;
    const oldOrder = () => {
      const i = n++;
      return i % 10 === 0 && nextFresh < fresh.length ? fresh[nextFresh++] : repeat[i % repeat.length];
    };
    expect(refusedAtPeak(oldOrder, 5, 3_200)).toBeGreaterThan(700);
  });

  test("every repeat caller takes its turn (also those at multiples of freshEvery); then only repeats", () => {
    const sequence = new TokenSequence({ fresh: ["f0", "f1", "f2", "f3"], repeat: ["r0", "r1", "r2", "r3"] }, 2);
    const sent = Array.from({ length: 12 }, () => sequence.next());
    expect(sent).toEqual(["f0", "r0", "f1", "r1", "f2", "r2", "f3", "r3", "r0", "r1", "r2", "r3"]);
  });
});
