/** Issuer checks the schema cannot express. */
import { hasOwnName, ownValue } from "../runtime/own";
import type { Checker } from "./checker";
import { parseDuration } from "./duration";
import { MAX_CLOCK_TOLERANCE_SECONDS } from "../runtime/limits";
import type { PolicyDocument } from "./source-types";
import { defaultSubject } from "./document-queries";
import { closest } from "./spelling";
import { patternProblem } from "../runtime/linear-match";

export function checkIssuers(doc: PolicyDocument, c: Checker): void {
  for (const [name, issuer] of Object.entries(doc.issuers)) {
    const at = ["issuers", name];
    if (issuer.type === "entra") {
      if (issuer.issuer !== undefined)
        c.report(
          "E_ISSUER_FIELDS",
          [...at, "issuer"],
          `issuer '${name}' is of type entra, which takes \`tenants\`, not \`issuer\``,
          "remove `issuer:`; the Entra issuer is derived from each tenant and `tokenVersion` (2: https://login.microsoftonline.com/<tenant>/v2.0)",
          { key: true },
        );
      if (!issuer.tenants)
        c.report(
          "E_ISSUER_FIELDS",
          at,
          `issuer '${name}' is of type entra but lists no \`tenants\``,
          "add `tenants: [<tenant id>]` (the allow-list of Entra tenants)",
        );
    } else {
      if (issuer.tenants !== undefined)
        c.report(
          "E_ISSUER_FIELDS",
          [...at, "tenants"],
          `issuer '${name}' is of type oidc, which takes \`issuer\`, not \`tenants\``,
          "remove `tenants:`, or use `type: entra`",
          { key: true },
        );
      if (issuer.tokenVersion !== undefined)
        c.report(
          "E_ISSUER_FIELDS",
          [...at, "tokenVersion"],
          `issuer '${name}' is of type oidc; \`tokenVersion\` is for Entra issuers`,
          "remove `tokenVersion:` (an OIDC issuer's tokens are what its `issuer` URL issues), or use `type: entra`",
          { key: true },
        );
      if (!issuer.issuer)
        c.report(
          "E_ISSUER_FIELDS",
          at,
          `issuer '${name}' is of type oidc but has no \`issuer\` URL`,
          "add `issuer: https://...` (the exact `iss` value of its tokens)",
        );
    }
    if (issuer.clockTolerance !== undefined) {
      const seconds = parseDuration(issuer.clockTolerance)!;
      if (seconds > MAX_CLOCK_TOLERANCE_SECONDS) {
        c.report(
          "E_TTL_LIMIT",
          [...at, "clockTolerance"],
          `clock tolerance ${issuer.clockTolerance} is above the 5m maximum`,
          "use at most 5m; a larger skew means clocks are wrong, fix NTP instead",
        );
      }
    }
    const declared = Object.keys(issuer.claims);
    const subject = issuer.subject ?? defaultSubject(issuer);
    const subjectDecl = ownValue(issuer.claims, subject);
    if (!subjectDecl) {
      c.report(
        "E_UNDECLARED_CLAIM",
        issuer.subject ? [...at, "subject"] : [...at, "claims"],
        `issuer '${name}' identifies callers by claim '${subject}', which it does not declare`,
        `declare '${subject}' under issuers.${name}.claims with type string`,
      );
    } else if (subjectDecl.type !== "string") {
      c.report(
        "E_CLAIM_TYPE",
        [...at, "claims", subject, "type"],
        `the subject claim '${subject}' must be a string`,
        "set its type to string",
      );
    }
    (issuer.requiredClaims ?? []).forEach((claim, i) => {
      if (!hasOwnName(issuer.claims, claim)) {
        const guess = closest(claim, declared);
        c.report(
          "E_UNDECLARED_CLAIM",
          [...at, "requiredClaims", i],
          `required claim '${claim}' is not declared by issuer '${name}'`,
          guess ? `did you mean '${guess}'?` : `declare it under issuers.${name}.claims`,
        );
      }
    });
    for (const [claim, decl] of Object.entries(issuer.claims)) {
      if (decl.pattern !== undefined) {
        const problem = patternProblem(decl.pattern);
        if (problem) {
          c.report(
            "E_PATTERN",
            [...at, "claims", claim, "pattern"],
            `the pattern of claim '${claim}' is not a valid RE2 regular expression: ${problem}`,
            "write an RE2 regular expression (github.com/google/re2/wiki/Syntax), anchored for you; backreferences and lookaround are not available because patterns run in linear time on callers' values",
          );
        }
      }
      if ((decl.format || decl.pattern) && decl.type !== "string" && decl.type !== "string[]") {
        c.report(
          "E_CLAIM_TYPE",
          [...at, "claims", claim],
          `claim '${claim}' has a format or pattern but is of type ${decl.type}`,
          "patterns and formats apply to string claims only",
        );
      }
    }
  }
}
