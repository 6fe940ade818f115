/** `npm run dev -- --help`: every flag `npm run dev` reads, and `--origin` (your own app's page origin). */
import { SERVICES } from "./ports";

export class OriginFlagError extends Error {}

export function devUsage(): string {
  const rows: [string, string][] = [
    ...Object.values(SERVICES).map((s): [string, string] => [
      `${s.flag} <n>`,
      `${s.label} port (${s.env}; default ${s.port})`,
    ]),
    ["--policies <dir>", "the policy folder (TB_DEV_POLICY_DIR; default this repository's policies/)"],
    ["--origin <url>", "a browser origin allowed beside the demo page's and local.allowedOrigins (repeatable)"],
    ["-h, --help", "show this help"],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    "usage: npm run dev -- [options]",
    "",
    "The whole system on 127.0.0.1 from the `local` environment of the policy: OIDC issuer, Fluid, CDN, Cosmos",
    "stand-in, broker and demo page. Environment: COSMOS_ENDPOINT + COSMOS_KEY use a real account instead of the",
    "stand-in; TOKEN_BROKER_TELEMETRY=console|otlp exports the broker's telemetry.",
    "",
    "options:",
    ...rows.map(([flag, what]) => `  ${flag.padEnd(width)}  ${what}`),
  ].join("\n");
}

/** The `--origin` values, each an origin (scheme://host[:port], nothing after): what a browser sends in `Origin`. */
export function originsFrom(argv: string[]): string[] {
  const origins: string[] = [];
  argv.forEach((arg, i) => {
    if (arg !== "--origin") return;
    const value = argv[i + 1];
    let url: URL | undefined;
    try {
      url = value === undefined ? undefined : new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, ""))
      throw new OriginFlagError(
        `--origin takes an origin such as http://localhost:5173 (scheme, host and port; no path), got '${value ?? ""}'`,
      );
    origins.push(url.origin);
  });
  return origins;
}
