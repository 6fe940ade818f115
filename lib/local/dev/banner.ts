/** The one banner `npm run dev` prints when everything is ready (tests wait for its first line). */
import type { DevEnvironment } from "./dev-environment";
import { PERSONAS } from "./personas";
import { SAMPLE_ASSETS } from "./sample-assets";

export const READY_LINE = "token broker local environment: ready";

export function banner(env: DevEnvironment, startedInMs: number): string {
  const u = env.urls;
  const { config } = env.policy();
  const rows: [string, string][] = [
    ["demo page", `${u.demo}   <- open this`],
    ["token broker", `${u.broker}/api/token   (node:http)`],
    [
      "origins",
      `${(config.cors?.allowedOrigins ?? [u.demo]).join(", ")}   (CORS; yours: environments.yaml local.allowedOrigins or --origin <url>)`,
    ],
    ["OIDC issuer", `${u.issuer}   (oidc-provider; audience ${env.audience})`],
    [
      "Fluid",
      `${u.fluid}   (tinylicious, HMAC + expiry checked; Contoso's note ${env.noteId}, Fabrikam's ${env.fabrikamNoteId})`,
    ],
    ["CDN edge", `${u.cdn}   (plays Front Door) -> origin ${u.storage} (azurite, https)`],
    // The paths an app asks a signed URL for ({"type":"cdn","path":…}); the README's examples use the same.
    ["CDN paths", `${SAMPLE_ASSETS.map((a) => a.path).join("  ")}`],
    [
      "Cosmos",
      `${u.cosmos}   ${env.cosmosIsStandIn ? "(STAND-IN: the REST contract double, not Cosmos DB; set COSMOS_ENDPOINT and COSMOS_KEY for a real account)" : "(the account in COSMOS_ENDPOINT)"}`,
    ],
    ["policy", `policies/ for \`${config.environment.name}\`, ${config.policyHash}   (watched: save to reload)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `${READY_LINE} in ${(startedInMs / 1000).toFixed(1)} s`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    "",
    "  personas (sign in on the demo page, or `npx token-broker dev token <persona>`):",
    ...PERSONAS.map((p) => `    ${p.id.padEnd(9)} ${p.label.padEnd(16)} ${p.expect}`),
    "",
    "  try:",
    `    open ${u.demo}/?persona=editor in two windows and edit the note; then sign in as fabrikam: refused (not-owned)`,
    "    npm run demo            every persona asks for Fluid, Cosmos and CDN credentials and uses them (--json)",
    "    edit policies/policy.yaml and save: the broker reloads; a mistake shows file:line:column and the last good policy stays",
    "  Ctrl-C stops everything.",
  ];
  return lines.join("\n");
}
