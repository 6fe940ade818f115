/**
 * One circuit breaker per backend (cosmos, fluid, cdn). When a backend keeps failing or timing out, callers stop
 * waiting on it: after `failureThreshold` consecutive failures the breaker opens and answers "unavailable" at once,
 * without touching the backend, for `openSeconds`. Then one trial call is let through (half-open): success closes
 * the breaker, failure opens it again. Without it, every exchange during an outage would hold a connection and a
 * timeout's worth of time, and the pile-up would take the other backends' credentials down with it.
 * Only outages count (BackendUnavailableError, timeouts); a bad request or a bug is not the backend's fault.
 */
import { BackendUnavailableError } from "./minter";

export type BreakerState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  failureThreshold?: number;
  /** How long an open breaker refuses before one trial call. @default 10 */
  openSeconds?: number;
  /**
   * A call slower than this counts as failed (the caller gets "unavailable"; the call itself is abandoned).
   * 0: no timer (a backend minted locally, such as Fluid's HMAC). @default 3000
   */
  timeoutMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /** Told of every state change (metrics, logs). */
  onStateChange?: (backend: string, state: BreakerState) => void;
}

export class CircuitBreaker {
  private state: BreakerState = "closed";
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly o: Required<Omit<CircuitBreakerOptions, "onStateChange">> &
    Pick<CircuitBreakerOptions, "onStateChange">;

  constructor(
    readonly backend: string,
    options: CircuitBreakerOptions = {},
  ) {
    this.o = { failureThreshold: 5, openSeconds: 10, timeoutMs: 3000, now: Date.now, ...options };
  }

  get current(): BreakerState {
    if (this.state === "open" && this.o.now() - this.openedAt >= this.o.openSeconds * 1000) return "half-open";
    return this.state;
  }

  async call<T>(work: () => Promise<T>): Promise<T> {
    const state = this.admit();
    try {
      const result = await withTimeout(work(), this.o.timeoutMs, this.backend);
      this.succeeded();
      return result;
    } catch (e) {
      if (e instanceof BackendUnavailableError) this.fail();
      throw e;
    } finally {
      if (state === "half-open") this.trialInFlight = false;
    }
  }

  /**
   * `call` for work that finishes before it returns (a backend minted locally, such as Fluid's HMAC): the same
   * admission, counting and state changes, with no promise. Such work cannot be timed out, as with `timeoutMs` 0.
   * The work's arguments come apart from it, so a caller needs no closure per call.
   */
  callNow<A, B, T>(work: (a: A, b: B) => T, a: A, b: B): T {
    const state = this.admit();
    try {
      const result = work(a, b);
      this.succeeded();
      return result;
    } catch (e) {
      if (e instanceof BackendUnavailableError) this.fail();
      throw e;
    } finally {
      if (state === "half-open") this.trialInFlight = false;
    }
  }

  /** The state a call is let through in; throws "unavailable" while open, or while a half-open trial is running. */
  private admit(): BreakerState {
    const state = this.current;
    if (state === "open" || (state === "half-open" && this.trialInFlight)) {
      const left = Math.max(1, Math.ceil((this.openedAt + this.o.openSeconds * 1000 - this.o.now()) / 1000));
      throw new BackendUnavailableError(this.backend, left);
    }
    if (state === "half-open") {
      this.trialInFlight = true;
      this.setState("half-open");
    }
    return state;
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.state !== "closed") this.setState("closed");
  }

  private fail(): void {
    this.failures++;
    if (this.state === "half-open" || this.failures >= this.o.failureThreshold) {
      this.openedAt = this.o.now();
      this.setState("open");
    }
  }

  private setState(state: BreakerState): void {
    if (this.state === state) return;
    this.state = state;
    this.o.onStateChange?.(this.backend, state);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, backend: string): Promise<T> {
  if (ms <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BackendUnavailableError(backend, 5)), ms);
    timer.unref?.();
  });
  // The abandoned call may still fail later: its rejection is handled here so it never becomes unhandled.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
