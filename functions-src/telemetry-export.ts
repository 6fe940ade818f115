/**
 * Where telemetry goes. Loaded lazily and never bundled (the specifiers are computed, so esbuild leaves them out):
 * the broker bundle stays small and a cold start loads no exporter unless one is configured.
 * - APPLICATIONINSIGHTS_CONNECTION_STRING set: the Azure Monitor OpenTelemetry distro (`useAzureMonitor`), which
 *   must then be installed next to the bundle (`@azure/monitor-opentelemetry`).
 * - TOKEN_BROKER_TELEMETRY=console (local runs): spans and metrics printed by the OpenTelemetry SDK's console
 *   exporters (`@opentelemetry/sdk-trace-base`, `@opentelemetry/sdk-metrics`, dev dependencies here).
 * - otherwise nothing is exported and the API stays a no-op.
 * A missing package or a bad setting is reported once (without the connection string) and never stops the broker.
 */
type Env = Readonly<Record<string, string | undefined>>;
export type TelemetryExport = "azure-monitor" | "console" | "none";

// The exporters are optional packages loaded by name at run time, so their module types are not known here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = (specifier: string): Promise<any> => import(specifier);

export async function startTelemetryExport(
  env: Env = process.env,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<TelemetryExport> {
  try {
    if (env.APPLICATIONINSIGHTS_CONNECTION_STRING) {
      const distro = await load(["@azure", "monitor-opentelemetry"].join("/"));
      distro.useAzureMonitor({
        azureMonitorExporterOptions: { connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING },
      });
      return "azure-monitor";
    }
    if (env.TOKEN_BROKER_TELEMETRY === "console") {
      const { metrics, trace } = await load("@opentelemetry/api");
      const tracing = await load(["@opentelemetry", "sdk-trace-base"].join("/"));
      const metricsSdk = await load(["@opentelemetry", "sdk-metrics"].join("/"));
      trace.setGlobalTracerProvider(
        new tracing.BasicTracerProvider({
          spanProcessors: [new tracing.SimpleSpanProcessor(new tracing.ConsoleSpanExporter())],
        }),
      );
      metrics.setGlobalMeterProvider(
        new metricsSdk.MeterProvider({
          readers: [
            new metricsSdk.PeriodicExportingMetricReader({
              exporter: new metricsSdk.ConsoleMetricExporter(),
              exportIntervalMillis: 10_000,
            }),
          ],
        }),
      );
      return "console";
    }
  } catch (e) {
    log(`telemetry export not started: ${(e as Error).name} (${(e as NodeJS.ErrnoException).code ?? "no code"})`);
  }
  return "none";
}
