/**
 * `issuers.<name>.environments`: an issuer trusted only in some environments (the local OIDC issuer in `local`).
 * Every name must be an entry of environments.yaml, so a typo cannot silently drop an issuer everywhere; and an issuer
 * whose URL is plain http or a loopback address may be trusted only in development-stage environments, so a
 * production or ephemeral environment can never trust a developer's machine.
 */
import type { Checker } from "./checker";
import type { EnvironmentSource, IssuerSource, PolicyDocument } from "./source-types";
import { closest } from "./spelling";
import { substituteEnv } from "../runtime/template";

export function checkIssuerEnvironments(doc: PolicyDocument, entries: Record<string, EnvironmentSource>, c: Checker): void {
  const known = Object.keys(entries);
  for (const [name, issuer] of Object.entries(doc.issuers)) {
    (issuer.environments ?? []).forEach((env, i) => {
      if (entries[env]) return;
      const guess = closest(env, known);
      c.report("E_ENVIRONMENT", ["issuers", name, "environments", i], `issuer '${name}' names environment '${env}', which environments.yaml does not define`, guess ? `did you mean '${guess}'?` : `known environments: ${known.join(", ")}`);
    });
    if (issuer.type !== "oidc" || issuer.issuer === undefined) continue;
    for (const env of trustingEnvironments(issuer, entries)) {
      const url = substituteEnv(issuer.issuer, entries[env].values ?? {});
      if (entries[env].stage !== "development" && isLocalUrl(url)) {
        c.report("E_ENVIRONMENT", ["issuers", name, "issuer"], `issuer '${name}' is ${url} in environment '${env}' (stage ${entries[env].stage}): a plain-http or loopback issuer is for development only`, `limit the issuer with \`environments: [<development environments>]\`, or use its https URL`);
      }
    }
  }
}

/** The environment entries that trust this issuer. */
export function trustingEnvironments(issuer: IssuerSource, entries: Record<string, EnvironmentSource>): string[] {
  return Object.keys(entries).filter((e) => issuer.environments === undefined || issuer.environments.includes(e));
}

function isLocalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname) || u.hostname.endsWith(".localhost");
  } catch {
    return false;
  }
}
