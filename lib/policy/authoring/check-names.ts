/**
 * Names that every JavaScript object already has (Object.prototype's members: `constructor`, `toString`,
 * `__proto__`, ...) are refused wherever a policy, environments or test file names something: a key (role, issuer,
 * claim, container, environment, environment value, persona, cosmosRbac entry), a field that names one (`claim`,
 * `inherits`, `subject`, `container`, ...), and a `${claims.x}` / `${env.x}` / `${request.x}` reference.
 * Every lookup by name is own-property only (lib/policy/runtime/own.ts); refusing the names as well means no
 * reader of a policy, human or program, has to know that (issue 19, class 2; docs/policy-language.md).
 *
 * Runs on the parsed file before its JSON Schema, so the refusal is the same whatever else is wrong with the name.
 * Inside a policy test's `claims` and `requests` the keys are token and request content, not names the policy
 * declares: there they keep their own-property meaning (a token may carry a `constructor` claim; no policy reads it).
 */
import type { PolicyDiagnostic } from "./errors";
import { isPrototypeName, PROTOTYPE_NAMES } from "../runtime/own";
import { parseTemplate } from "../runtime/template";
import type { JsonPath, YamlSource } from "./yaml-source";

type FileKind = "policy" | "environments" | "policy-test";

/** Fields whose string value (or each item of whose list) names something, and what it names. */
const FIELD_KINDS: Record<string, string> = {
  claim: "a claim",
  subject: "a claim",
  requiredClaims: "a claim",
  inherits: "a role",
  roles: "a role",
  adminRoles: "a role",
  issuers: "an issuer",
  issuer: "an issuer",
  environments: "an environment",
  container: "a container",
  as: "a persona",
};

/** What a key names, by the mapping it sits in. */
const KEY_KINDS: Record<string, string> = {
  issuers: "an issuer",
  claims: "a claim",
  roles: "a role",
  containers: "a container",
  prefixes: "a CDN prefix",
  environments: "an environment",
  values: "an environment value",
  personas: "a persona",
  cosmosRbac: "a cosmosRbac entry",
};

/** Free text: references there are never filled in, so they name nothing. */
const TEXT_FIELDS = new Set(["description", "name"]);

const INHERITED = "every JavaScript object already has a member called";

function named(what: string, name: string): string {
  return `${what[0].toUpperCase()}${what.slice(1)} cannot be called '${name}': ${INHERITED} that (Object.prototype)`;
}

export function reservedNameProblems(source: YamlSource, kind: FileKind): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const report = (message: string, path: JsonPath, at: { key?: boolean; offset?: number }) => {
    const position =
      at.offset !== undefined ? source.positionInString(path, at.offset) : source.positionOf(path, { key: at.key });
    out.push({
      ...position,
      code: "E_RESERVED_NAME",
      severity: "error",
      message,
      hint: `rename it; reserved: ${[...PROTOTYPE_NAMES].join(", ")}`,
      path,
    });
  };
  const walk = (value: unknown, path: JsonPath, content: boolean): void => {
    if (typeof value === "string") {
      // The field is the last key, or the one before a list index.
      const field = typeof path.at(-1) === "number" ? path.at(-2) : path.at(-1);
      if (!content && typeof field === "string" && Object.hasOwn(FIELD_KINDS, field) && isPrototypeName(value))
        report(named(FIELD_KINDS[field], value), path, {});
      if (!TEXT_FIELDS.has(String(path.at(-1)))) {
        for (const part of parseTemplate(value).parts) {
          if ("ref" in part && isPrototypeName(part.name))
            report(
              `'\${${part.ref}.${part.name}}' cannot be used: ${INHERITED} '${part.name}' (Object.prototype)`,
              path,
              { offset: part.start },
            );
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, i], content));
    } else if (typeof value === "object" && value !== null) {
      const parent = path.at(-1);
      for (const key of Object.keys(value)) {
        if (!content && isPrototypeName(key)) {
          const what = typeof parent === "string" && Object.hasOwn(KEY_KINDS, parent) ? KEY_KINDS[parent] : "a key";
          report(named(what, key), [...path, key], { key: true });
        }
        const inner = content || (kind === "policy-test" && (key === "claims" || key === "requests"));
        walk((value as Record<string, unknown>)[key], [...path, key], inner);
      }
    }
  };
  walk(source.value, [], false);
  return out;
}
