/**
 * An Entra issuer's audiences against the token versions it accepts (lib/policy/authoring/entra-tokens.ts): a v2.0
 * access token's `aud` is always the API's client id, so an `api://...` audience on an issuer that accepts only v2.0
 * tokens refuses every token Entra issues. A warning, positioned at the audience, per environment whose value it is.
 */
import type { Checker } from "./checker";
import { canBeV2Audience, entraTokenVersions } from "./entra-tokens";
import type { EnvironmentSource, PolicyDocument } from "./source-types";
import { substituteEnv } from "../runtime/template";

export function checkEntraAudiences(doc: PolicyDocument, entries: Record<string, EnvironmentSource>, c: Checker): void {
  for (const [name, issuer] of Object.entries(doc.issuers)) {
    if (issuer.type !== "entra" || entraTokenVersions(issuer).includes(1)) continue;
    const envs = Object.entries(entries).filter(([e]) => !issuer.environments || issuer.environments.includes(e));
    issuer.audiences.forEach((audience, i) => {
      const wrong = envs
        .map(([env, e]) => [env, resolved(audience, e)] as const)
        .filter(([, value]) => value !== undefined && !canBeV2Audience(value));
      if (wrong.length === 0) return;
      const where = wrong.map(([env, value]) => `${value} (${env})`).join(", ");
      c.report(
        "W_ENTRA_AUDIENCE",
        ["issuers", name, "audiences", i],
        `issuer '${name}' accepts v2.0 tokens only, whose \`aud\` is always the API's client id (a GUID); ` +
          `no token can carry the audience ${where}`,
        "use the API registration's client id as the audience (and `requestedAccessTokenVersion: 2` on it), or " +
          "accept v1.0 tokens deliberately with `tokenVersion: [1, 2]`",
        { severity: "warning" },
      );
    });
  }
}

/** The audience in that environment, or undefined when one of its ${env.x} values is missing there. */
function resolved(audience: string, env: EnvironmentSource): string | undefined {
  const values = env.values ?? {};
  const refs = [...audience.matchAll(/\$\{\s*env\.([A-Za-z0-9_]+)\s*\}/g)].map((m) => m[1]);
  return refs.every((r) => values[r] !== undefined) ? substituteEnv(audience, values) : undefined;
}
