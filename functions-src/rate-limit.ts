/** Per-subject token bucket. Buckets live in a bounded cache, so memory stays flat however many callers there are. */
import { BoundedCache } from "./bounded-cache";

/** The limits a caller gets when nothing else is configured (the load benchmark sizes its caller pools from them). */
export const RATE_LIMIT_DEFAULTS = { burst: 20, perSecond: 2, maxSubjects: 100_000 } as const;

export interface RateLimitOptions {
  /** Requests allowed in a burst. @default 20 */
  burst?: number;
  /** Sustained requests per second. @default 2 */
  perSecond?: number;
  /** @default 100000 */
  maxSubjects?: number;
  now?: () => number;
}

/** 0 when allowed; otherwise the seconds to wait (Retry-After). The global limiter answers asynchronously. */
export interface RateLimiter {
  take(key: string): number | Promise<number>;
}

export class SubjectRateLimiter implements RateLimiter {
  private readonly buckets: BoundedCache<{ tokens: number; at: number }>;
  private readonly o: Required<RateLimitOptions>;

  constructor(options: RateLimitOptions = {}) {
    this.o = { ...RATE_LIMIT_DEFAULTS, now: Date.now, ...options };
    this.buckets = new BoundedCache(this.o.maxSubjects, this.o.now);
  }

  /** 0 when allowed; otherwise the seconds to wait (for Retry-After). */
  take(subject: string): number {
    const now = this.o.now();
    const b = this.buckets.get(subject) ?? { tokens: this.o.burst, at: now };
    const tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.perSecond);
    // A bucket refills fully in burst/perSecond seconds; after that it may be forgotten.
    const forgetAt = now + (this.o.burst / this.o.perSecond) * 1000;
    if (tokens < 1) {
      this.buckets.set(subject, { tokens, at: now }, forgetAt);
      return Math.ceil((1 - tokens) / this.o.perSecond);
    }
    this.buckets.set(subject, { tokens: tokens - 1, at: now }, forgetAt);
    return 0;
  }
}
