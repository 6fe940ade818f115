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

/**
 * The bucket is kept as one number, the time at which it will be full again (the generic cell rate algorithm's
 * "theoretical arrival time"): the same decisions as tokens + timestamp, but one number per subject instead of an
 * object and two boxed numbers (a 1,000,000-subject soak holds 100,000 of them; issue 12). A bucket that is full
 * again is the same as no bucket, so that time is also when the entry may be forgotten.
 */
export class SubjectRateLimiter implements RateLimiter {
  private readonly fullAt: BoundedCache<number>;
  private readonly o: Required<RateLimitOptions>;
  private readonly msPerToken: number;

  constructor(options: RateLimitOptions = {}) {
    this.o = { ...RATE_LIMIT_DEFAULTS, now: Date.now, ...options };
    this.msPerToken = 1000 / this.o.perSecond;
    this.fullAt = new BoundedCache(this.o.maxSubjects, this.o.now);
  }

  /** 0 when allowed; otherwise the seconds to wait (for Retry-After). */
  take(subject: string): number {
    const now = this.o.now();
    const held = this.fullAt.get(subject);
    const fullAt = Math.max(now, held ?? now);
    const tokens = this.o.burst - (fullAt - now) / this.msPerToken;
    if (tokens < 1) return Math.ceil((1 - tokens) / this.o.perSecond);
    const next = fullAt + this.msPerToken;
    // A new key is stored as a flat copy: callers build it by concatenation, and V8 would otherwise keep the
    // concatenation node, its flattened text and the parts it was made of for as long as the bucket lives.
    this.fullAt.set(held === undefined ? flatCopy(subject) : subject, next, next);
    return 0;
  }
}

const flatCopy = (text: string): string => JSON.parse(JSON.stringify(text)) as string;
