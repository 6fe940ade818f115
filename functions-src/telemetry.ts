/**
 * What an operator watches, through the OpenTelemetry API (a no-op until an SDK is registered, so the hot path pays
 * next to nothing when nobody listens): exchanges by outcome, credentials by backend and outcome, denials and
 * rejections by reason, JWKS refreshes, backend latency, circuit-breaker state; one span per exchange with one child
 * per backend call. Attributes are closed vocabularies only (outcome, backend, reason code, breaker state): never a
 * token, a key, a subject or any other claim value, and no issuer URL or document id. test/functions/telemetry.test.ts
 * inspects every exported span and metric for that.
 * Export: telemetry-export.ts (Application Insights when its connection string is set, console or OTLP locally).
 */
import { context, metrics, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import type { BreakerState } from "./mint/circuit-breaker";

const SCOPE = "azure-token-broker";
const tracer = trace.getTracer(SCOPE); // the trace API hands out a proxy that follows a provider registered later

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };
const breakerSources = new Set<() => Record<string, BreakerState>>();

/** What GET /api/health no longer tells anonymous callers: the shared store, whether it answers, what an outage does. */
export interface StoreStatus {
  kind: "redis" | "memory";
  scope: "shared" | "instance";
  rateLimit: "global" | "instance";
  onStoreDown: "deny" | "allow" | "none";
  reachable: boolean;
}
const storeSources = new Set<() => StoreStatus>();

/**
 * The metrics API has no proxy: a meter taken before the SDK is registered stays a no-op. Instruments are made
 * again whenever the global meter provider changes (the exporter starts after the first requests may have run).
 */
let provider: unknown;
let instruments: ReturnType<typeof makeInstruments>;
function m() {
  const current = metrics.getMeterProvider();
  if (current !== provider) {
    provider = current;
    instruments = makeInstruments();
  }
  return instruments;
}

function makeInstruments() {
  const meter = metrics.getMeter(SCOPE);
  const gauge = meter.createObservableGauge("broker.circuit_breaker.state", {
    description: "Per backend: 0 closed, 1 half-open, 2 open",
  });
  gauge.addCallback((result) => {
    for (const source of breakerSources)
      for (const [backend, state] of Object.entries(source())) result.observe(STATE_VALUE[state], { backend });
  });
  const store = meter.createObservableGauge("broker.shared_store.reachable", {
    description:
      "1 while the shared store answers, 0 while it does not; by store kind, scope, rate limit and onStoreDown",
  });
  store.addCallback((result) => {
    for (const source of storeSources) {
      const s = source();
      result.observe(s.reachable ? 1 : 0, {
        store: s.kind,
        scope: s.scope,
        rate_limit: s.rateLimit,
        on_store_down: s.onStoreDown,
      });
    }
  });
  return {
    exchanges: meter.createCounter("broker.exchanges", { description: "Token requests answered, by outcome" }),
    credentials: meter.createCounter("broker.credentials", {
      description: "Credentials asked of a backend, by backend and outcome (issued, unavailable)",
    }),
    denials: meter.createCounter("broker.denials", { description: "Requests refused, by backend and reason" }),
    rejections: meter.createCounter("broker.token_rejections", {
      description: "Bearer tokens refused, by reason code",
    }),
    jwksRefreshes: meter.createCounter("broker.jwks.refreshes", {
      description: "JWKS fetches from issuers, by outcome (ok, failed)",
    }),
    backendLatency: meter.createHistogram("broker.backend.duration", {
      description: "Time a backend took to issue a credential",
      unit: "ms",
    }),
  };
}

/** A broker's breakers, observed by the gauge for as long as the broker lives (brokers are process-long). */
export function observeBreakers(states: () => Record<string, BreakerState>): () => void {
  breakerSources.add(states);
  return () => breakerSources.delete(states);
}

/** A broker's shared-store status, observed by the gauge (health says only "ok" or "degraded"). */
export function observeStore(status: () => StoreStatus): () => void {
  storeSources.add(status);
  m(); // instruments exist before the first collection, not only after the first exchange
  return () => storeSources.delete(status);
}

export type ExchangeOutcome =
  "issued" | "partial" | "denied" | "rejected" | "unavailable" | "bad-request" | "rate-limited" | "error";

export const telemetry = {
  startExchange(): Span {
    return tracer.startSpan("broker.exchange");
  },
  endExchange(span: Span, outcome: ExchangeOutcome, status: number): void {
    m().exchanges.add(1, { outcome });
    if (span.isRecording()) {
      span.setAttributes({ "broker.outcome": outcome, "http.response.status_code": status });
      if (outcome === "error") span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  },
  rejected(reason: string): void {
    m().rejections.add(1, { reason });
  },
  denied(backend: string, reason: string): void {
    m().denials.add(1, { backend, reason });
  },
  /** Times one backend call as a child span of the exchange and in the latency histogram. */
  async backendCall<T>(parent: Span, backend: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const span = mintSpan(parent, backend);
    let outcome: "issued" | "unavailable" = "issued";
    try {
      return await work();
    } catch (e) {
      outcome = "unavailable";
      span?.setStatus({ code: SpanStatusCode.ERROR });
      throw e;
    } finally {
      endBackendCall(span, backend, outcome, started);
    }
  },
  /**
   * `backendCall` for work that finishes before it returns (functions-src/mint/minter.ts `mintNow`); its arguments
   * come apart from it, so a caller needs no closure per call.
   */
  backendCallNow<A, B, T>(parent: Span, backend: string, work: (a: A, b: B) => T, a: A, b: B): T {
    const started = performance.now();
    const span = mintSpan(parent, backend);
    let outcome: "issued" | "unavailable" = "issued";
    try {
      return work(a, b);
    } catch (e) {
      outcome = "unavailable";
      span?.setStatus({ code: SpanStatusCode.ERROR });
      throw e;
    } finally {
      endBackendCall(span, backend, outcome, started);
    }
  },
  jwksRefresh(ok: boolean): void {
    m().jwksRefreshes.add(1, { outcome: ok ? "ok" : "failed" });
  },
};

/** The child span of one backend call, only when the exchange's span is recorded. */
function mintSpan(parent: Span, backend: string): Span | undefined {
  return parent.isRecording()
    ? tracer.startSpan(
        "broker.mint",
        { attributes: { "broker.backend": backend } },
        trace.setSpan(context.active(), parent),
      )
    : undefined;
}

function endBackendCall(span: Span | undefined, backend: string, outcome: string, started: number): void {
  const attributes: Attributes = { backend, outcome };
  const instruments = m();
  instruments.credentials.add(1, attributes);
  instruments.backendLatency.record(performance.now() - started, attributes);
  span?.setAttribute("broker.outcome", outcome);
  span?.end();
}
