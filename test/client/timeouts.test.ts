/**
 * A stalled or refused broker fails an ask in bounded time: each call has a timeout (AbortSignal still honoured),
 * each ask a total retry budget, and a `network` error on a page of another origin names CORS as the likely cause.
 * Real timers and a real local HTTP server (scripted: the real broker cannot be made to stall on cue).
 */
import { BrokerClient, BrokerProblemError } from "../../lib/client/index";
import { problem, ScriptedServer, type ScriptedAnswer } from "./support/scripted-server";

async function withScript(script: (n: number) => ScriptedAnswer, run: (s: ScriptedServer) => Promise<void>) {
  const server = await new ScriptedServer(script).start();
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

const client = (brokerUrl: string, extra: Partial<ConstructorParameters<typeof BrokerClient>[0]> = {}) =>
  new BrokerClient({ brokerUrl, getAccessToken: async () => "t", random: () => 0.5, ...extra });

async function failure(promise: Promise<unknown>): Promise<BrokerProblemError> {
  const error = await promise.then(
    () => undefined,
    (e) => e,
  );
  expect(error).toBeInstanceOf(BrokerProblemError);
  return error as BrokerProblemError;
}

it("a stalled broker: each call ends at timeoutMs, is retried, and the ask fails with `timeout`", async () => {
  await withScript(
    () => "stall",
    async (server) => {
      const started = Date.now();
      const error = await failure(
        client(server.url, { timeoutMs: 500, retry: { maxRetries: 2, baseDelayMs: 20 } }).signedUrl("/a.png"),
      );
      expect(error.code).toBe("timeout");
      expect(error.retryable).toBe(true);
      expect(error.attempts).toBe(3);
      // A call that timed out before its request reached the server is still a call made.
      expect(server.arrivals.length).toBeGreaterThanOrEqual(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      expect(Date.now() - started).toBeLessThan(6_000);
    },
  );
});

it("the default timeout is 10 s", async () => {
  await withScript(
    () => "stall",
    async (server) => {
      const started = Date.now();
      const error = await failure(client(server.url, { retry: { maxRetries: 0 } }).signedUrl("/a.png"));
      expect(error.code).toBe("timeout");
      expect(error.message).toContain("10000 ms");
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_900);
    },
  );
}, 20_000);

it("the caller's AbortSignal still ends a stalled call at once", async () => {
  await withScript(
    () => "stall",
    async (server) => {
      const controller = new AbortController();
      const ask = client(server.url, { timeoutMs: 60_000 }).signedUrl("/a.png", { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 200));
      controller.abort(new Error("user left"));
      await expect(ask).rejects.toThrow("user left");
    },
  );
});

it("the retry budget bounds an ask that would otherwise retry many times", async () => {
  await withScript(
    () => ({ status: 503, body: problem("backend-unavailable", 503) }),
    async (server) => {
      const started = Date.now();
      const error = await failure(
        client(server.url, {
          retry: { maxRetries: 50, baseDelayMs: 100, maxDelayMs: 100, budgetMs: 400 },
          random: () => 0.99,
        }).signedUrl("/a.png"),
      );
      expect(error.code).toBe("backend-unavailable");
      // Waits of ~99 ms: at most four fit in 400 ms, so at most five calls, never the fifty-one allowed.
      expect(server.arrivals.length).toBeGreaterThanOrEqual(2);
      expect(server.arrivals.length).toBeLessThanOrEqual(5);
      expect(Date.now() - started).toBeLessThan(1_500);
    },
  );
});

describe("a network error's message", () => {
  const location = Object.getOwnPropertyDescriptor(globalThis, "location");
  afterEach(() => {
    if (location) Object.defineProperty(globalThis, "location", location);
    else delete (globalThis as { location?: unknown }).location;
  });

  it("names CORS as the likely cause when the page's origin is not the broker's", async () => {
    await withScript(
      () => "drop",
      async (server) => {
        Object.defineProperty(globalThis, "location", { value: { origin: "http://127.0.0.1:1" }, configurable: true });
        const error = await failure(client(server.url, { retry: { maxRetries: 0 } }).signedUrl("/a.png"));
        expect(error.code).toBe("network");
        expect(error.message).toContain("CORS refusal is the likely cause");
        expect(error.message).toContain("http://127.0.0.1:1");
      },
    );
  });

  it("does not when the page and the broker share an origin, or there is no page", async () => {
    await withScript(
      () => "drop",
      async (server) => {
        const noPage = await failure(client(server.url, { retry: { maxRetries: 0 } }).signedUrl("/a.png"));
        expect(noPage.message).not.toContain("CORS");
        Object.defineProperty(globalThis, "location", { value: { origin: server.url }, configurable: true });
        const sameOrigin = await failure(client(server.url, { retry: { maxRetries: 0 } }).signedUrl("/b.png"));
        expect(sameOrigin.code).toBe("network");
        expect(sameOrigin.message).not.toContain("CORS");
      },
    );
  });
});
