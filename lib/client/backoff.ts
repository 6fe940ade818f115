/**
 * Retry timing: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter":
 * sleep = random(0, min(cap, base * 2^attempt))), raised to the server's Retry-After when it names one, and never
 * past the caller's AbortSignal.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. @default 4 */
  maxRetries: number;
  /** @default 250 ms */
  baseDelayMs: number;
  /** Upper bound of one jittered wait. @default 8000 ms */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error goes to the caller. @default 60000 ms */
  maxRetryAfterMs: number;
  /**
   * Total time one broker ask may take, attempts and waits together: no wait is started that would end past it,
   * so a refused or unreachable broker fails the ask within this bound. @default 30000 ms
   */
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
  budgetMs: 30_000,
};

/** Full-jitter delay before retry number `retry` (0-based), in [0, min(maxDelay, base * 2^retry)). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now; undefined if absent or bad. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}
