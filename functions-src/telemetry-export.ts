/**
 * Where telemetry goes. Loaded lazily and never bundled (the specifiers are computed, so esbuild leaves them out):
 * the broker bundle stays small and a cold start loads no exporter unless one is configured.
 * - APPLICATIONINSIGHTS_CONNECTION_STRING set: the Azure Monitor OpenTelemetry distro (`useAzureMonitor`), which
 *   must then be installed next to the bundle (`@azure/monitor-opentelemetry`).
 * - TOKEN_BROKER_TELEMETRY=console (local runs): spans and metrics printed by the OpenTelemetry SDK's console
 *   exporters (`@opentelemetry/sdk-trace-base`, `@opentelemetry/sdk-metrics`, dev dependencies here).
 * - TOKEN_BROKER_TELEMETRY=otlp, or any of the standard OTEL_EXPORTER_OTLP_ENDPOINT, _TRACES_ENDPOINT,
 *   _METRICS_ENDPOINT: OTLP over HTTP with JSON bodies (`@opentelemetry/exporter-trace-otlp-http`,
 *   `@opentelemetry/exporter-metrics-otlp-http`) to a local collector, Jaeger, Aspire dashboard and the like;
 *   http://localhost:4318 when no endpoint is given. The exporters read OTEL_EXPORTER_OTLP_HEADERS and _TIMEOUT
 *   themselves (https://opentelemetry.io/docs/specs/otel/protocol/exporter/).
 * - otherwise nothing is exported and the API stays a no-op.
 * A missing package or a bad setting is reported once (without the connection string) and never stops the broker.
 */
type Env = Readonly<Record<string, string | undefined>>;
export type TelemetryExport = "azure-monitor" | "console" | "otlp" | "none";

/** What was started; `shutdown` sends what is still buffered (a local run's Ctrl-C, a test) and stops exporting. */
export interface TelemetryExporting {
  kind: TelemetryExport;
  shutdown(): Promise<void>;
}

// The exporters are optional packages loaded by name at run time, so their module types are not known here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loaded = any;
const load = (specifier: string): Promise<Loaded> => import(specifier);
const otel = (name: string) => load(["@opentelemetry", name].join("/"));
const NOTHING: TelemetryExporting = { kind: "none", shutdown: async () => {} };

/** Which export the settings ask for (the first that applies, in the order of the list above). */
export function telemetryExportFor(env: Env): TelemetryExport {
  if (env.APPLICATIONINSIGHTS_CONNECTION_STRING) return "azure-monitor";
  if (env.TOKEN_BROKER_TELEMETRY === "console") return "console";
  const otlpEndpoint =
    env.OTEL_EXPORTER_OTLP_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (env.TOKEN_BROKER_TELEMETRY === "otlp" || otlpEndpoint) return "otlp";
  return "none";
}

/**
 * Per the OTLP exporter specification: a signal's own endpoint is used as given; the general one gets
 * `v1/traces` or `v1/metrics` appended; neither: the default local collector.
 */
export function otlpUrl(env: Env, signal: "traces" | "metrics"): string {
  const own = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`];
  if (own) return own;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || "http://localhost:4318";
  return `${base.replace(/\/+$/, "")}/v1/${signal}`;
}

export async function startTelemetryExport(
  env: Env = process.env,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<TelemetryExporting> {
  const kind = telemetryExportFor(env);
  try {
    if (kind === "azure-monitor") {
      const distro = await load(["@azure", "monitor-opentelemetry"].join("/"));
      distro.useAzureMonitor({
        azureMonitorExporterOptions: { connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING },
      });
      return { kind, shutdown: async () => distro.shutdownAzureMonitor?.() };
    }
    if (kind === "console" || kind === "otlp") {
      const tracing = await otel("sdk-trace-base");
      const metricsSdk = await otel("sdk-metrics");
      const exporters =
        kind === "console"
          ? {
              spans: new tracing.SimpleSpanProcessor(new tracing.ConsoleSpanExporter()),
              metrics: new metricsSdk.ConsoleMetricExporter(),
              intervalMs: 10_000,
            }
          : {
              spans: new tracing.BatchSpanProcessor(
                new (await otel("exporter-trace-otlp-http")).OTLPTraceExporter({ url: otlpUrl(env, "traces") }),
              ),
              metrics: new (await otel("exporter-metrics-otlp-http")).OTLPMetricExporter({
                url: otlpUrl(env, "metrics"),
              }),
              // The specification's default export interval (OTEL_METRIC_EXPORT_INTERVAL).
              intervalMs: Number(env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000,
            };
      return await register(kind, env, tracing, metricsSdk, exporters);
    }
  } catch (e) {
    log(`telemetry export not started: ${(e as Error).name} (${(e as NodeJS.ErrnoException).code ?? "no code"})`);
  }
  return NOTHING;
}

async function register(
  kind: TelemetryExport,
  env: Env,
  tracing: Loaded,
  metricsSdk: Loaded,
  exporters: { spans: Loaded; metrics: Loaded; intervalMs: number },
): Promise<TelemetryExporting> {
  const { metrics, trace } = await otel("api");
  const { resourceFromAttributes } = await otel("resources");
  const resource = resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || "token-broker" });
  const tracerProvider = new tracing.BasicTracerProvider({ resource, spanProcessors: [exporters.spans] });
  const meterProvider = new metricsSdk.MeterProvider({
    resource,
    readers: [
      new metricsSdk.PeriodicExportingMetricReader({
        exporter: exporters.metrics,
        exportIntervalMillis: exporters.intervalMs,
      }),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    kind,
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
