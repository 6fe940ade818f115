/**
 * BrokerClient against a real broker (real key server, real core, node:http) and, where the real broker cannot be
 * made to answer on cue (503 runs, 429 + Retry-After, dropped connections), a small scripted HTTP server.
 * The client uses the platform fetch; jest's fake clock drives margins, backoff waits and Retry-After.
 */
import { BrokerClient, BrokerProblemError, type CachedCredential, type CredentialStore } from "../../lib/client/index";
import { RealBroker } from "./support/real-broker";
import { cdnAnswer, problem, ScriptedServer, type ScriptedAnswer } from "./support/scripted-server";

const broker = new RealBroker();
beforeAll(() => broker.start(), 30_000);
afterAll(() => broker.stop());
beforeEach(() => {
  broker.calls.length = 0;
  // Timers and the clock are fake; I/O, nextTick and microtasks stay real so the client's fetch reaches the servers.
  jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
});
afterEach(() => jest.useRealTimers());

const clientFor = (extra: Partial<ConstructorParameters<typeof BrokerClient>[0]> = {}) =>
  new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => broker.token(), ...extra });

const yieldIo = () => new Promise((r) => setImmediate(r));

async function withScript(script: (n: number) => ScriptedAnswer, run: (s: ScriptedServer) => Promise<void>) {
  const server = await new ScriptedServer(script).start();
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

describe("cache and refresh margin", () => {
  it("serves a credential from the cache until the margin before expiresAt, then asks the broker again", async () => {
    // The broker's verifier keeps the real clock; sign with a fixed iat so moving the fake clock keeps it valid.
    const t0 = Math.floor(Date.now() / 1000);
    const token = () =>
      broker.issuer.sign({ sub: "u", roles: ["editor"], aud: "api://broker" }, { iat: t0, exp: t0 + 3600 });
    const client = clientFor({ refreshMarginMs: 60_000, getAccessToken: token });
    const first = await client.lookup({ type: "fluid", documentId: "doc-1" });
    expect(first.fromCache).toBe(false);
    const expiresAt = Date.parse(first.credential.expiresAt);
    jest.setSystemTime(expiresAt - 60_001);
    expect(await client.lookup({ type: "fluid", documentId: "doc-1" })).toEqual({
      credential: first.credential,
      fromCache: true,
    });
    expect(broker.calls).toEqual([1]);
    jest.setSystemTime(expiresAt - 59_999);
    const renewed = await client.lookup({ type: "fluid", documentId: "doc-1" });
    expect(renewed.fromCache).toBe(false);
    expect(broker.calls).toEqual([1, 1]);
  });

  it("caches per (type, scope): another document or path is its own credential", async () => {
    const client = clientFor();
    await client.getCredential({ type: "fluid", documentId: "doc-a" });
    await client.getCredential({ type: "fluid", documentId: "doc-b" });
    await client.signedUrl("/assets/a.png");
    await client.getCredential({ type: "fluid", documentId: "doc-a" });
    await client.signedUrl("/assets/a.png");
    expect(broker.calls).toEqual([1, 1, 1]);
  });

  it("forceRefresh skips the cache", async () => {
    const client = clientFor();
    await client.getCredential({ type: "fluid", documentId: "doc-f" });
    const again = await client.lookup({ type: "fluid", documentId: "doc-f" }, { forceRefresh: true });
    expect(again.fromCache).toBe(false);
    expect(broker.calls).toEqual([1, 1]);
  });

  it("keeps at most maxCacheEntries credentials, dropping the least recently used", async () => {
    const client = clientFor({ maxCacheEntries: 3 });
    for (const p of ["a", "b", "c", "d"]) await client.signedUrl(`/assets/${p}.png`);
    expect(client.cacheSize).toBe(3);
    await client.signedUrl("/assets/d.png"); // still cached
    expect(broker.calls.length).toBe(4);
    await client.signedUrl("/assets/a.png"); // evicted: asked again
    expect(broker.calls.length).toBe(5);
  });

  it("persists only through an opt-in store: a second client with the store needs no broker call", async () => {
    const map = new Map<string, CachedCredential>();
    const store: CredentialStore = {
      get: (k) => map.get(k),
      set: (k, v) => void map.set(k, v),
      delete: (k) => void map.delete(k),
    };
    await clientFor({ store }).signedUrl("/assets/p.png");
    const reloaded = await clientFor({ store }).lookup({ type: "cdn", path: "/assets/p.png" });
    expect(reloaded.fromCache).toBe(true);
    expect(broker.calls).toEqual([1]);
    expect((await clientFor().lookup({ type: "cdn", path: "/assets/p.png" })).fromCache).toBe(false); // default: memory only
    expect(broker.calls).toEqual([1, 1]);
  });
});

describe("de-duplication and batching", () => {
  it("N concurrent asks for one credential make one broker call and get the same token", async () => {
    const client = clientFor();
    const all = await Promise.all(
      Array.from({ length: 25 }, () => client.getCredential({ type: "fluid", documentId: "doc-dedup" })),
    );
    expect(broker.calls).toEqual([1]);
    expect(new Set(all.map((c) => c.token)).size).toBe(1);
  });

  it("asks made in the same tick go in one call; more than 16 are split at the broker's limit", async () => {
    const client = clientFor();
    const paths = Array.from({ length: 20 }, (_, i) => `/assets/${i}.png`);
    const urls = await Promise.all([
      ...paths.map((p) => client.signedUrl(p)),
      client.getCredential({ type: "fluid", documentId: "d" }),
    ]);
    // Two calls in flight at once: the broker may see either first.
    expect([...broker.calls].sort((x, y) => y - x)).toEqual([16, 5]);
    paths.forEach((p, i) => expect(new URL(urls[i] as string).pathname).toBe(`/cdn-origin${p}`));
  });

  it("each Fluid creation gets its own single-use token, never cached or shared", async () => {
    const client = clientFor();
    const [a, b] = await Promise.all([
      client.getCredential({ type: "fluid", create: true }),
      client.getCredential({ type: "fluid", create: true }),
    ]);
    expect(broker.calls).toEqual([2]);
    expect(a.token).not.toBe(b.token);
    const c = await client.lookup({ type: "fluid", create: true });
    expect(c.fromCache).toBe(false);
    expect(broker.calls).toEqual([2, 1]);
  });

  it("a request the policy denies fails alone, typed forbidden with the reason; the rest of the batch is granted", async () => {
    const client = clientFor();
    const [ok, denied] = await Promise.allSettled([
      client.signedUrl("/assets/x.png"),
      client.signedUrl("/private/x.png"),
    ]);
    expect(ok.status).toBe("fulfilled");
    expect(denied).toMatchObject({
      status: "rejected",
      reason: { code: "forbidden", status: 403, reason: expect.any(String) },
    });
    expect(broker.calls).toEqual([2]);
  });
});

describe("errors are typed and 400/403 are never retried", () => {
  it("403 from the broker: code forbidden, one call", async () => {
    const client = new BrokerClient({ brokerUrl: broker.url, getAccessToken: () => broker.token([]) });
    const error = await client.signedUrl("/assets/x.png").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerProblemError);
    expect(error).toMatchObject({ code: "forbidden", status: 403, attempts: 1 });
    expect(broker.calls).toEqual([1]);
  });

  it("400 from the broker: code bad-request, one call", async () => {
    const client = clientFor();
    const error = await client.signedUrl("/assets/../x.png").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "bad-request", status: 400, attempts: 1 });
    expect(broker.calls).toEqual([1]);
  });
});

describe("401: one fresh access token, one more try", () => {
  it("a stale access token is replaced once and the ask succeeds", async () => {
    const asked: boolean[] = [];
    const client = clientFor({
      getAccessToken: async ({ forceRefresh }) => {
        asked.push(forceRefresh);
        return forceRefresh
          ? broker.token()
          : broker.issuer.sign(
              { sub: "u", roles: ["editor"], aud: "api://broker" },
              { exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 4000 },
            );
      },
    });
    await client.signedUrl("/assets/y.png");
    expect(asked).toEqual([false, true]);
    expect(broker.calls).toEqual([1, 1]);
  });

  it("a second 401 goes to the caller as invalid-token after exactly two calls", async () => {
    const asked: boolean[] = [];
    const client = clientFor({ getAccessToken: async ({ forceRefresh }) => (asked.push(forceRefresh), "not-a-jwt") });
    await expect(client.signedUrl("/assets/y.png")).rejects.toMatchObject({ code: "invalid-token", status: 401 });
    expect(asked).toEqual([false, true]);
    expect(broker.calls).toEqual([1, 1]);
  });
});

describe("retries: backoff with full jitter, Retry-After, bounded, abortable", () => {
  const base = { baseDelayMs: 250, maxDelayMs: 8000, maxRetries: 4, maxRetryAfterMs: 60_000 };

  /** Runs one ask; each time the client schedules a wait, the fake clock advances by exactly that wait. */
  async function scheduleOf(server: ScriptedServer, random: () => number, retry: Partial<typeof base> = {}) {
    const delays: number[] = [];
    const client = new BrokerClient({
      brokerUrl: server.url,
      getAccessToken: async () => "t",
      random,
      retry: { ...base, ...retry },
      onRetry: ({ delayMs }) => {
        delays.push(delayMs);
        // The client's timer is set right after this returns; advance the fake clock by exactly its delay.
        void Promise.resolve().then(() => jest.advanceTimersByTimeAsync(delayMs));
      },
    });
    const outcome = await client.signedUrl("/assets/r.png").then(
      (url) => ({ url }),
      (error: unknown) => ({ error }),
    );
    const gaps = server.arrivals.slice(1).map((t, i) => t - server.arrivals[i]);
    return { delays, gaps, outcome };
  }

  it("503 x3 then 200: waits grow as base*2^n, jitter drawn in [0, ceiling), and the server sees those gaps", async () => {
    const script = (n: number): ScriptedAnswer =>
      n < 3
        ? { status: 503, body: problem("backend-unavailable", 503) }
        : cdnAnswer("/assets/r.png", Date.now() + 600_000);
    await withScript(script, async (server) => {
      const { delays, gaps, outcome } = await scheduleOf(server, () => 0.999);
      expect(outcome).toHaveProperty("url");
      expect(delays).toEqual([249, 499, 999]); // floor(0.999 * 250 * 2^n)
      expect(gaps).toEqual(delays);
    });
    await withScript(script, async (server) => {
      const { delays } = await scheduleOf(server, () => 0);
      expect(delays).toEqual([0, 0, 0]); // full jitter reaches down to zero
    });
  });

  it("with real randomness every wait stays within [0, min(cap, base*2^n)) and the cap holds", async () => {
    const script = (): ScriptedAnswer => ({ status: 503, body: problem("backend-unavailable", 503) });
    await withScript(script, async (server) => {
      const { delays, outcome } = await scheduleOf(server, Math.random, { maxRetries: 6, maxDelayMs: 1000 });
      expect(delays).toHaveLength(6);
      delays.forEach((d, n) => {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(1000, 250 * 2 ** n));
      });
      expect((outcome as { error: BrokerProblemError }).error).toMatchObject({
        code: "backend-unavailable",
        status: 503,
        attempts: 7,
      });
      expect(server.arrivals).toHaveLength(7); // bounded: 1 + maxRetries
    });
  });

  it("Retry-After (seconds or an HTTP date) sets the wait when it is longer than the jittered one", async () => {
    let answers: ScriptedAnswer[] = [
      { status: 429, headers: { "retry-after": "3" }, body: problem("rate-limited", 429) },
      {
        status: 503,
        headers: { "retry-after": new Date(Date.now() + 7_000).toUTCString() },
        body: problem("backend-unavailable", 503),
      },
    ];
    await withScript(
      (n) => answers[n] ?? cdnAnswer("/assets/r.png", Date.now() + 600_000),
      async (server) => {
        answers = [answers[0], { ...(answers[1] as object), headers: {} } as ScriptedAnswer];
        const first = await scheduleOf(server, () => 0.5);
        expect(first.delays[0]).toBe(3000);
        expect(first.gaps[0]).toBe(3000);
      },
    );
    await withScript(
      (n) =>
        n === 0
          ? {
              status: 503,
              headers: { "retry-after": new Date(Date.now() + 7_000).toUTCString() },
              body: problem("backend-unavailable", 503),
            }
          : cdnAnswer("/assets/r.png", Date.now() + 600_000),
      async (server) => {
        const { delays, gaps } = await scheduleOf(server, () => 0.5);
        // HTTP dates have one-second resolution: the wait is the remaining time to that date.
        expect(delays[0]).toBeGreaterThan(6000);
        expect(delays[0]).toBeLessThanOrEqual(7000);
        expect(gaps[0]).toBe(delays[0]);
      },
    );
  });

  it("a Retry-After beyond maxRetryAfterMs is not waited for", async () => {
    await withScript(
      () => ({ status: 429, headers: { "retry-after": "3600" }, body: problem("rate-limited", 429) }),
      async (server) => {
        const { delays, outcome } = await scheduleOf(server, () => 0.5);
        expect(delays).toEqual([]);
        expect((outcome as { error: BrokerProblemError }).error).toMatchObject({ code: "rate-limited", attempts: 1 });
      },
    );
  });

  it("a dropped connection is a network error and is retried", async () => {
    await withScript(
      (n) => (n === 0 ? "drop" : cdnAnswer("/assets/r.png", Date.now() + 600_000)),
      async (server) => {
        const { delays, outcome } = await scheduleOf(server, () => 0.999);
        expect(delays).toEqual([249]);
        expect(outcome).toHaveProperty("url");
      },
    );
  });

  it("the caller's AbortSignal ends the ask at once, mid-wait, and no further call is made", async () => {
    await withScript(
      () => ({ status: 503, headers: { "retry-after": "5" }, body: problem("backend-unavailable", 503) }),
      async (server) => {
        const controller = new AbortController();
        let waiting!: () => void;
        const scheduled = new Promise<void>((r) => (waiting = r));
        const client = new BrokerClient({
          brokerUrl: server.url,
          getAccessToken: async () => "t",
          onRetry: () => waiting(),
        });
        const ask = client.signedUrl("/assets/r.png", { signal: controller.signal });
        await scheduled;
        controller.abort();
        await expect(ask).rejects.toMatchObject({ name: "AbortError" });
        await jest.advanceTimersByTimeAsync(60_000);
        await yieldIo();
        expect(server.arrivals).toHaveLength(1);
      },
    );
  });

  it("one caller aborting does not cancel another caller sharing the ask", async () => {
    await withScript(
      (n) =>
        n === 0
          ? { status: 503, headers: { "retry-after": "1" }, body: problem("backend-unavailable", 503) }
          : cdnAnswer("/assets/r.png", Date.now() + 600_000),
      async (server) => {
        const controller = new AbortController();
        const client = new BrokerClient({
          brokerUrl: server.url,
          getAccessToken: async () => "t",
          onRetry: ({ delayMs }) => {
            controller.abort();
            void Promise.resolve().then(() => jest.advanceTimersByTimeAsync(delayMs));
          },
        });
        const leaving = client.signedUrl("/assets/r.png", { signal: controller.signal });
        const staying = client.signedUrl("/assets/r.png");
        await expect(leaving).rejects.toMatchObject({ name: "AbortError" });
        await expect(staying).resolves.toContain("/assets/r.png");
        expect(server.arrivals).toHaveLength(2);
      },
    );
  });

  it("an already aborted signal makes no call", async () => {
    const client = clientFor();
    await expect(client.signedUrl("/assets/z.png", { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
    await yieldIo();
    expect(broker.calls).toEqual([]);
  });
});
