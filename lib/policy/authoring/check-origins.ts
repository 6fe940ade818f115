/**
 * Allowed web origins per environment (CORS). The schema fixes their form; this checks what the stage permits:
 * outside development and ephemeral stages an origin is an exact https origin. Plain http and port patterns
 * (`http://localhost:*`) exist for developers' machines, and a production page served over http could be
 * altered in transit and then call the broker with the user's token.
 */
import type { Checker } from "./checker";
import type { EnvironmentSource } from "./source-types";
import type { JsonPath } from "./yaml-source";

export function isOriginPattern(origin: string): boolean {
  return origin.endsWith(":*");
}

export function checkOrigins(at: JsonPath, entries: Record<string, EnvironmentSource>, c: Checker): void {
  for (const [name, env] of Object.entries(entries)) {
    const relaxed = env.stage === "development" || env.stage === "ephemeral";
    (env.allowedOrigins ?? []).forEach((origin, i) => {
      if (relaxed) return;
      const path = [...at, name, "allowedOrigins", i];
      if (isOriginPattern(origin)) {
        c.report(
          "E_ORIGIN",
          path,
          `environment '${name}' (stage ${env.stage}) allows the origin pattern ${origin}`,
          "list exact https origins; port patterns are for development and ephemeral stages",
        );
      } else if (origin.startsWith("http://")) {
        c.report(
          "E_ORIGIN",
          path,
          `environment '${name}' (stage ${env.stage}) allows the http origin ${origin}`,
          `use ${origin.replace(/^http:/, "https:")}; http origins are for development and ephemeral stages`,
        );
      }
    });
  }
}
