/**
 * `${...}` references anywhere in the policy: `${env.x}` must be defined by every environment that uses it, and `${claims.x}`
 * is allowed only in grant templates (partitionKey, documents, prefix), where it is filled at run time.
 */
import { hasOwnName, ownValue } from "../runtime/own";
import type { Checker } from "./checker";
import { BUILT_IN_VALUES } from "./environments";
import type { EnvironmentSource, PolicyDocument } from "./source-types";
import { closest } from "./spelling";
import { parseTemplate } from "../runtime/template";
import type { JsonPath } from "./yaml-source";

const TEMPLATE_FIELDS = new Set(["partitionKey", "documents", "prefix"]);

export function checkReferences(
  doc: PolicyDocument,
  environments: Record<string, EnvironmentSource>,
  c: Checker,
): void {
  walkStrings(doc, [], (text, path) => {
    if (path[0] === "environments" || path[0] === "description" || path.at(-1) === "description") return;
    const parsed = parseTemplate(text);
    for (const e of parsed.errors)
      c.report(
        "E_TEMPLATE",
        path,
        e.message,
        "references are ${claims.<name>} (grant templates) or ${env.<name>} (environment values)",
        { offset: e.index },
      );
    const inTemplate =
      path.at(-2) !== "prefixes" && TEMPLATE_FIELDS.has(String(path.at(-1))) && path.includes("grants");
    for (const part of parsed.parts) {
      if (!("ref" in part)) continue;
      if (part.ref === "request") {
        c.report(
          "E_TEMPLATE",
          path,
          `'\${request.${part.name}}' cannot be used in a policy`,
          "the request is matched against the grant, not copied into it; use a `*` wildcard in `documents`, or a claim",
          { offset: part.start },
        );
      } else if (part.ref === "claims" && !inTemplate) {
        c.report(
          "E_TEMPLATE",
          path,
          `'\${claims.${part.name}}' is only allowed in a grant's partitionKey, documents or prefix`,
          "conditions compare claims with `claim:` and an operator; issuer settings take literal or ${env.x} values",
          { offset: part.start },
        );
      } else if (part.ref === "env") {
        for (const [envName, env] of Object.entries(environmentsUsing(doc, path, environments))) {
          if (BUILT_IN_VALUES.includes(part.name) || hasOwnName(env.values, part.name)) continue;
          const guess = closest(part.name, [...Object.keys(env.values ?? {}), ...BUILT_IN_VALUES]);
          c.report(
            "E_ENV_VALUE",
            path,
            `'\${env.${part.name}}' is not defined for environment '${envName}'`,
            guess ? `did you mean '\${env.${guess}}'?` : `add '${part.name}' under environments.${envName}.values`,
            { offset: part.start },
          );
        }
      }
    }
  });
}

/** An issuer limited to some environments needs its values there only (check-issuer-environments.ts). */
function environmentsUsing(
  doc: PolicyDocument,
  path: JsonPath,
  all: Record<string, EnvironmentSource>,
): Record<string, EnvironmentSource> {
  const limit = path[0] === "issuers" ? ownValue(doc.issuers, String(path[1]))?.environments : undefined;
  return limit ? Object.fromEntries(Object.entries(all).filter(([name]) => limit.includes(name))) : all;
}

function walkStrings(value: unknown, path: JsonPath, visit: (text: string, path: JsonPath) => void): void {
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
}
