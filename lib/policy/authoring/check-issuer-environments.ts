/**
 * `issuers.<name>.environments`: an issuer trusted only in some environments (the local OIDC issuer in `local`).
 * Every name must be an entry of environments.yaml, so a typo cannot silently drop an issuer everywhere. That `prod`
 * never trusts the local issuer is asserted on its compiled config (test/policy/local-environment.test.ts).
 */
import { hasOwnName } from "../runtime/own";
import type { Checker } from "./checker";
import type { EnvironmentSource, PolicyDocument } from "./source-types";
import { closest } from "./spelling";

export function checkIssuerEnvironments(
  doc: PolicyDocument,
  entries: Record<string, EnvironmentSource>,
  c: Checker,
): void {
  const known = Object.keys(entries);
  for (const [name, issuer] of Object.entries(doc.issuers)) {
    (issuer.environments ?? []).forEach((env, i) => {
      if (hasOwnName(entries, env)) return;
      const guess = closest(env, known);
      const message = `issuer '${name}' names environment '${env}', which environments.yaml does not define`;
      c.report(
        "E_ENVIRONMENT",
        ["issuers", name, "environments", i],
        message,
        guess ? `did you mean '${guess}'?` : `known: ${known.join(", ")}`,
      );
    });
  }
}
