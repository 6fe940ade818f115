/**
 * One client for the token broker, in the browser and in Node (only `fetch`, `AbortController` and timers: no
 * Node-only API on this path). Given the broker URL and a way to get the caller's access token (MSAL or any OIDC
 * library plugs in through `getAccessToken`), it hands out credentials:
 * - cached per (type, scope) until a refresh margin before `expiresAt`; the cache is bounded (LRU);
 * - concurrent asks for the same credential share one broker call;
 * - asks made in the same tick go to the broker in one call (at most the broker's 16 requests per call);
 * - each call has a timeout; network errors, timeouts, 429 and 503 are retried with exponential backoff, full jitter
 *   and Retry-After, a bounded number of times, within a total budget per ask, and never past the caller's
 *   AbortSignal; 400 and 403 never are; on 401 the client asks for one fresh
 *   access token (`forceRefresh: true`) and tries once more;
 * - failures are `BrokerProblemError`s with a `code` from the problem `type`.
 * A Fluid creation token is single-use: never cached, never shared, one per ask.
 */
import { abortReason, backoffDelay, DEFAULT_RETRY, retryAfterMs, sleep, type RetryPolicy } from "./backoff";
import { BoundedCredentialCache, type CredentialStore } from "./credential-cache";
import {
  answers,
  credentialKey,
  isSingleUse,
  type Credential,
  type CredentialOf,
  type CredentialRequest,
} from "./credential-types";
import { BrokerProblemError, codeOfProblemType } from "./problem-error";

/** The broker refuses more per call (lib/policy/runtime/access-request.ts MAX_REQUESTS). */
export const BROKER_MAX_REQUESTS_PER_CALL = 16;

export interface BrokerClientOptions {
  /** The broker's base URL (…/api/token is appended) or its token endpoint itself. */
  brokerUrl: string;
  /** The caller's OIDC access token for the broker; `forceRefresh` after the broker answered 401. */
  getAccessToken(options: { forceRefresh: boolean }): Promise<string>;
  /** Stop handing out a credential this long before it expires (at most half its lifetime). @default 60000 ms */
  refreshMarginMs?: number;
  /** @default 256 */
  maxCacheEntries?: number;
  /** Opt-in persistence (see credential-cache.ts for the trade-off). @default none: memory only */
  store?: CredentialStore;
  retry?: Partial<RetryPolicy>;
  /**
   * One broker call's limit: no answer within it aborts the call, which fails with `timeout` and is retried like a
   * network error (within the retry budget). @default 10000 ms
   */
  timeoutMs?: number;
  /** Requests per broker call. @default 16 (the broker's limit; more is clamped to it) */
  maxBatchSize?: number;
  /** Called before each wait between attempts (logging, metrics; tests observe the schedule). */
  onRetry?(info: { retry: number; delayMs: number; status: number; code: string }): void;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
}

export interface CredentialAskOptions {
  signal?: AbortSignal;
  /** Skip the cache (the credential was refused by its service). */
  forceRefresh?: boolean;
}

export interface CredentialResult<C extends Credential = Credential> {
  credential: C;
  /** True only when no broker call was made for this ask. */
  fromCache: boolean;
}

interface Ask {
  request: CredentialRequest;
  key: string;
  promise: Promise<Credential>;
  resolve(c: Credential): void;
  reject(e: unknown): void;
  /** Callers still waiting; when all have aborted, the ask is dropped (and its batch aborted if all are). */
  waiting: number;
  abandoned: boolean;
  onAbandon?: () => void;
}

export class BrokerClient {
  /** Broker HTTP calls made (retries included): for tests and the benchmark. */
  brokerCalls = 0;
  private readonly endpoint: string;
  private readonly cache: BoundedCredentialCache;
  private readonly pending = new Map<string, Ask>();
  private queue: Ask[] = [];
  private flushScheduled = false;
  private readonly retry: RetryPolicy;
  private readonly margin: number;
  private readonly batchSize: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: BrokerClientOptions) {
    const url = options.brokerUrl.replace(/\/+$/, "");
    this.endpoint = /\/api\/token$/.test(url) ? url : `${url}/api/token`;
    this.cache = new BoundedCredentialCache(options.maxCacheEntries ?? 256, options.store);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
    this.margin = options.refreshMarginMs ?? 60_000;
    this.batchSize = Math.max(
      1,
      Math.min(options.maxBatchSize ?? BROKER_MAX_REQUESTS_PER_CALL, BROKER_MAX_REQUESTS_PER_CALL),
    );
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
    // Bound late so a polyfill or test can replace globalThis.fetch; `fetch` must be called unbound-safe.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async getCredential<R extends CredentialRequest>(
    request: R,
    options: CredentialAskOptions = {},
  ): Promise<CredentialOf<R>> {
    return (await this.lookup(request, options)).credential as CredentialOf<R>;
  }

  /** A CDN URL for `path`, cached while valid. */
  async signedUrl(path: string, options: CredentialAskOptions = {}): Promise<string> {
    return (await this.getCredential({ type: "cdn", path }, options)).url;
  }

  /** The credential and whether it came from the cache (the Fluid provider reports that truthfully). */
  lookup<R extends CredentialRequest>(
    request: R,
    options: CredentialAskOptions = {},
  ): Promise<CredentialResult<CredentialOf<R>>> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const singleUse = isSingleUse(request);
    const key = credentialKey(request);
    if (!singleUse) {
      if (options.forceRefresh) this.cache.delete(key);
      else {
        const hit = this.cache.fresh(key, this.now());
        if (hit) return Promise.resolve({ credential: hit.credential as CredentialOf<R>, fromCache: true });
      }
    }
    let ask = singleUse ? undefined : this.pending.get(key);
    if (!ask) {
      ask = this.newAsk(request, key);
      if (!singleUse) this.pending.set(key, ask);
      this.queue.push(ask);
      this.scheduleFlush();
    }
    return this.waitFor(ask, signal).then((credential) => ({
      credential: credential as CredentialOf<R>,
      fromCache: false,
    }));
  }

  /** Forget every credential (sign-out), the persistent store's included. */
  clear(): void {
    this.cache.clear();
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  private newAsk(request: CredentialRequest, key: string): Ask {
    let resolve!: (c: Credential) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<Credential>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined); // callers that aborted no longer listen
    const ask: Ask = { request, key, promise, resolve, reject, waiting: 0, abandoned: false };
    promise
      .finally(() => {
        if (this.pending.get(key) === ask) this.pending.delete(key);
      })
      .catch(() => undefined);
    return ask;
  }

  private waitFor(ask: Ask, signal: AbortSignal | undefined): Promise<Credential> {
    ask.waiting++;
    if (!signal) return ask.promise;
    return new Promise<Credential>((resolve, reject) => {
      const onAbort = () => {
        reject(abortReason(signal));
        if (--ask.waiting === 0) {
          ask.abandoned = true;
          if (this.pending.get(ask.key) === ask) this.pending.delete(ask.key);
          ask.onAbandon?.();
        }
      };
      signal.addEventListener("abort", onAbort, { once: true });
      ask.promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  // "Same tick": everything asked before the current task yields to the microtask queue goes in one call.
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      const asks = this.queue.filter((a) => !a.abandoned);
      this.queue = [];
      for (let i = 0; i < asks.length; i += this.batchSize) void this.send(asks.slice(i, i + this.batchSize));
    });
  }

  private async send(asks: Ask[]): Promise<void> {
    const controller = new AbortController();
    const onAbandon = () => {
      if (asks.every((a) => a.abandoned)) controller.abort(new DOMException("every caller aborted", "AbortError"));
    };
    for (const a of asks) a.onAbandon = onAbandon;
    const body = JSON.stringify({ requests: asks.map((a) => a.request) });
    let forceRefresh = false;
    let attempts = 0;
    const started = this.now();
    for (let retry = 0; ;) {
      attempts++;
      let failure: BrokerProblemError;
      let wait: number | undefined;
      const call = new AbortController();
      const stopCall = () => call.abort(controller.signal.reason);
      controller.signal.addEventListener("abort", stopCall);
      let timedOut = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const accessToken = await this.options.getAccessToken({ forceRefresh });
        if (controller.signal.aborted) return;
        this.brokerCalls++;
        timer = setTimeout(() => {
          timedOut = true;
          call.abort(new DOMException("the broker call timed out", "TimeoutError"));
        }, this.timeoutMs);
        const response = await this.fetchFn(this.endpoint, {
          method: "POST",
          headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
          body,
          signal: call.signal,
          credentials: "omit", // the bearer token is the credential; no cookies cross origins
        });
        const parsed = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
        if (timedOut) throw call.signal.reason;
        if (response.ok) return this.distribute(asks, parsed);
        if (response.status === 401 && !forceRefresh) {
          forceRefresh = true; // one fresh access token, one more try; not counted as a retry
          continue;
        }
        wait = retryAfterMs(response.headers.get("retry-after"), this.now());
        failure = this.problemOf(response.status, parsed, attempts, wait);
        if (response.status === 403 && Array.isArray(parsed?.denied))
          return this.distribute(asks, { credentials: [], denied: parsed.denied });
      } catch (e) {
        if (controller.signal.aborted) return; // every caller has already been rejected with its own reason
        if (e instanceof BrokerProblemError) failure = e;
        else if (timedOut)
          failure = new BrokerProblemError(
            "timeout",
            0,
            `the broker did not answer within ${this.timeoutMs} ms`,
            undefined,
            attempts,
          );
        else
          failure = new BrokerProblemError(
            "network",
            0,
            `the broker could not be reached (${errorName(e)})${corsHint(this.endpoint)}`,
            undefined,
            attempts,
          );
      } finally {
        clearTimeout(timer);
        controller.signal.removeEventListener("abort", stopCall);
      }
      const delay = Math.max(backoffDelay(retry, this.retry, this.random), wait ?? 0);
      const overBudget = this.now() - started + delay > this.retry.budgetMs;
      if (
        !failure.retryable ||
        retry >= this.retry.maxRetries ||
        (wait !== undefined && wait > this.retry.maxRetryAfterMs) ||
        overBudget
      ) {
        return this.rejectAll(asks, failure);
      }
      this.options.onRetry?.({ retry, delayMs: delay, status: failure.status, code: failure.code });
      retry++;
      try {
        await sleep(delay, controller.signal);
      } catch {
        return;
      }
    }
  }

  /**
   * Records a new Fluid container's owner with the broker (POST /api/fluid/documents), from the receipt the Fluid
   * service signed at creation. Retried like every broker call (network errors, 429, 503, one fresh access token on
   * 401); a refusal is a BrokerProblemError whose `reason` says why (`receipt-user`, `document-taken`, ...).
   */
  async registerFluidDocument(documentId: string, receipt: string): Promise<void> {
    const url = this.endpoint.replace(/\/api\/token$/, "/api/fluid/documents");
    const body = JSON.stringify({ documentId, token: receipt });
    let forceRefresh = false;
    for (let retry = 0, attempts = 1; ; attempts++) {
      let failure: BrokerProblemError;
      let wait: number | undefined;
      try {
        const accessToken = await this.options.getAccessToken({ forceRefresh });
        this.brokerCalls++;
        const response = await this.fetchFn(url, {
          method: "POST",
          headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
          body,
          credentials: "omit",
        });
        const parsed = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
        if (response.ok) return;
        if (response.status === 401 && !forceRefresh) {
          forceRefresh = true;
          continue;
        }
        wait = retryAfterMs(response.headers.get("retry-after"), this.now());
        const p = this.problemOf(response.status, parsed, attempts, wait);
        const reason = typeof parsed?.reason === "string" ? parsed.reason : undefined;
        failure = new BrokerProblemError(p.code, p.status, p.message, reason, attempts, p.retryAfterSeconds);
      } catch (e) {
        failure = new BrokerProblemError(
          "network",
          0,
          `the broker could not be reached (${errorName(e)})`,
          undefined,
          attempts,
        );
      }
      if (
        !failure.retryable ||
        retry >= this.retry.maxRetries ||
        (wait !== undefined && wait > this.retry.maxRetryAfterMs)
      )
        throw failure;
      const delay = Math.max(backoffDelay(retry, this.retry, this.random), wait ?? 0);
      this.options.onRetry?.({ retry, delayMs: delay, status: failure.status, code: failure.code });
      retry++;
      await sleep(delay);
    }
  }

  private distribute(asks: Ask[], body: Record<string, unknown> | undefined): void {
    const credentials = Array.isArray(body?.credentials) ? (body.credentials as Record<string, unknown>[]) : undefined;
    const denied = new Map<number, string>();
    for (const d of Array.isArray(body?.denied) ? (body.denied as { request?: unknown; reason?: unknown }[]) : []) {
      if (typeof d?.request === "number") denied.set(d.request, typeof d.reason === "string" ? d.reason : "denied");
    }
    if (!credentials)
      return this.rejectAll(
        asks,
        new BrokerProblemError("bad-response", 200, "the broker's answer has no credentials list"),
      );
    // The broker answers in request order: credentials for the granted requests, `denied` naming the others.
    let next = 0;
    const now = this.now();
    asks.forEach((ask, i) => {
      const reason = denied.get(i);
      if (reason !== undefined)
        return ask.reject(
          new BrokerProblemError("forbidden", 403, `the policy denies this request (${reason})`, reason),
        );
      const credential = credentials[next++];
      const expiresAt = Date.parse(String(credential?.expiresAt));
      if (!credential || !answers(ask.request, credential) || Number.isNaN(expiresAt)) {
        return ask.reject(
          new BrokerProblemError("bad-response", 200, "the broker's answer does not match the request"),
        );
      }
      if (!isSingleUse(ask.request) && !ask.abandoned) {
        const refreshAt = expiresAt - Math.min(this.margin, Math.max(0, expiresAt - now) / 2);
        if (refreshAt > now)
          this.cache.set(ask.key, { credential: credential as unknown as Credential, expiresAt, refreshAt });
      }
      ask.resolve(credential as unknown as Credential);
    });
  }

  private rejectAll(asks: Ask[], error: BrokerProblemError): void {
    for (const a of asks) a.reject(error);
  }

  private problemOf(
    status: number,
    body: Record<string, unknown> | undefined,
    attempts: number,
    waitMs?: number,
  ): BrokerProblemError {
    const detail = typeof body?.detail === "string" ? body.detail : `the broker answered ${status}`;
    const retryAfter = waitMs === undefined ? undefined : Math.ceil(waitMs / 1000);
    return new BrokerProblemError(
      codeOfProblemType(body?.type, status),
      status,
      detail,
      undefined,
      attempts,
      retryAfter,
    );
  }
}

/**
 * A browser reports a CORS refusal exactly as it reports being offline (a TypeError, no status: Fetch standard,
 * "CORS check"), so the client can only say which is likely: when the page's origin is not the broker's, CORS is.
 */
function corsHint(endpoint: string): string {
  const page = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  if (typeof page !== "string" || page === "null") return "";
  const broker = new URL(endpoint).origin;
  if (page === broker) return "";
  return `; this page (${page}) is on another origin than the broker (${broker}), so a CORS refusal is the likely cause: is ${page} in the environment's allowedOrigins?`;
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : "error";
}
