/** Grant checks: resources exist, TTLs within backend limits, templates that cannot widen a scope, no duplicates. */
import { hasOwnName, ownValue } from "../runtime/own";
import { canonicalJson } from "./canonical-json";
import type { Checker } from "./checker";
import { roleIssuers } from "./document-queries";
import { formatDuration, parseDuration } from "./duration";
import { BACKEND_TTL_LIMIT, MIN_TTL_SECONDS } from "../runtime/limits";
import type { GrantSource, PolicyDocument, RoleSource } from "./source-types";
import { closest } from "./spelling";
import { nonAsciiReason, parseTemplate } from "../runtime/template";
import type { JsonPath } from "./yaml-source";

export function checkGrants(doc: PolicyDocument, c: Checker): void {
  for (const [name, role] of Object.entries(doc.roles)) {
    const seen = new Map<string, number>();
    (role.grants ?? []).forEach((grant, i) => {
      const at = ["roles", name, "grants", i];
      const key = canonicalJson(grant);
      if (seen.has(key)) {
        c.report(
          "E_DUPLICATE",
          at,
          `this grant repeats grant ${seen.get(key)} of role '${name}'`,
          "remove one of them",
        );
        return;
      }
      seen.set(key, i);
      const inherited = inheritedFrom(doc, name, key);
      if (inherited) {
        c.report(
          "E_DUPLICATE",
          at,
          `role '${name}' already inherits this exact grant from '${inherited}'`,
          "remove it here; inheritance already gives it",
        );
        return;
      }
      checkGrant(doc, role, grant, at, c);
    });
  }
}

function checkGrant(doc: PolicyDocument, role: RoleSource, grant: GrantSource, at: JsonPath, c: Checker): void {
  const type = Object.keys(grant)[0] as "cosmos" | "fluid" | "cdn";
  const body = (grant as unknown as Record<string, Record<string, unknown>>)[type];
  const where = [...at, type];
  checkTtl(type, body.ttl as string | number, [...where, "ttl"], c);
  const templateField = type === "cosmos" ? "partitionKey" : type === "fluid" ? "documents" : "prefix";
  const field = body[templateField];
  // `documents: { owner: ... }` is not a template: checked on its own below.
  const template = typeof field === "string" ? field : undefined;
  if (template !== undefined) checkTemplateClaims(doc, role, template, [...where, templateField], c);
  // Resource names are ASCII; a lookalike (U+FF0E, U+FF0F, U+2025) in the policy itself is refused like one in a
  // claim value or a request, never normalized into a scope (issue 7, item 5).
  const unicode = template === undefined ? undefined : nonAsciiReason(template);
  if (unicode) {
    const offset = [...template!].findIndex((ch) => ch.charCodeAt(0) > 0x7f);
    c.report("E_TEMPLATE", [...where, templateField], `${templateField} ${unicode}`, "write it in ASCII", { offset });
  }

  if (type === "cosmos") {
    const cosmos = doc.resources?.cosmos;
    const container = body.container as string;
    if (!cosmos) {
      c.report(
        "E_UNKNOWN_RESOURCE",
        [...where],
        "a cosmos grant, but the policy declares no Cosmos DB resources",
        "declare resources.cosmos with its database and containers",
        { key: true },
      );
    } else if (!hasOwnName(cosmos.containers, container)) {
      const guess = closest(container, Object.keys(cosmos.containers));
      c.report(
        "E_UNKNOWN_CONTAINER",
        [...where, "container"],
        `container '${container}' is not declared in resources.cosmos.containers`,
        guess
          ? `did you mean '${guess}'?`
          : `declare it with its partition key, or use one of: ${Object.keys(cosmos.containers).join(", ")}`,
      );
    }
    if (template !== undefined && template.trim() === "") {
      c.report(
        "E_TEMPLATE",
        [...where, "partitionKey"],
        "an empty partitionKey would name no partition",
        "write a template such as ${claims.tid}, or omit partitionKey to grant the whole container",
      );
    }
  } else if (type === "fluid") {
    if (!doc.resources?.fluid)
      c.report(
        "E_UNKNOWN_RESOURCE",
        [...where],
        "a fluid grant, but the policy declares no Fluid resource",
        "add `fluid: {}` under resources",
        { key: true },
      );
    if (template === undefined) checkOwnedDocuments(doc, role, [...where, "documents"], c);
    else checkDocumentPattern(template, [...where, "documents"], c);
  } else {
    checkCdnPrefix(doc, template!, [...where, "prefix"], c);
  }
}

function checkTtl(type: keyof typeof BACKEND_TTL_LIMIT, ttl: string | number, at: JsonPath, c: Checker): void {
  const seconds = parseDuration(ttl);
  if (seconds === undefined) return; // the schema reported it
  const limit = BACKEND_TTL_LIMIT[type];
  if (seconds > limit.max) {
    c.report(
      "E_TTL_LIMIT",
      at,
      `ttl ${ttl} (${seconds} s) is above ${limit.why} of ${formatDuration(limit.max)}`,
      `use a ttl of at most ${formatDuration(limit.max)} (${limit.max} s); clients refresh before expiry`,
    );
  } else if (seconds < MIN_TTL_SECONDS) {
    c.report(
      "E_TTL_LIMIT",
      at,
      `ttl ${ttl} is below the ${MIN_TTL_SECONDS} s minimum`,
      "use at least 1m; a shorter credential expires before a client can use it across normal clock skew",
    );
  }
}

/** Claims used in a template must be declared by every issuer of the role, as a single string or number. */
function checkTemplateClaims(doc: PolicyDocument, role: RoleSource, template: string, at: JsonPath, c: Checker): void {
  for (const part of parseTemplate(template).parts) {
    if (!("ref" in part) || part.ref !== "claims") continue;
    for (const [issuerName, claims] of roleIssuers(doc, role)) {
      const decl = ownValue(claims, part.name);
      if (!decl) {
        const guess = closest(part.name, Object.keys(claims));
        c.report(
          "E_UNDECLARED_CLAIM",
          at,
          `template uses claim '${part.name}', which issuer '${issuerName}' does not declare`,
          guess ? `did you mean '\${claims.${guess}}'?` : `declare it under issuers.${issuerName}.claims`,
          { offset: part.start },
        );
        return;
      }
      if (decl.type !== "string" && decl.type !== "number") {
        c.report(
          "E_CLAIM_TYPE",
          at,
          `template uses claim '${part.name}' of type ${decl.type}; only a single string or number can name a scope`,
          decl.type === "string[]"
            ? "a list cannot fill a template: test it in `when` with contains, and template a single-valued claim"
            : "use a string claim",
          { offset: part.start },
        );
        return;
      }
    }
  }
}

/** A `*` next to a placeholder lets one caller's value be a prefix of another's (tid "ab" would match tenant "abc"). */
/** An owner-scoped grant needs the owner registry, whose tenant claim every issuer of the role declares as a string. */
function checkOwnedDocuments(doc: PolicyDocument, role: RoleSource, at: JsonPath, c: Checker): void {
  const owners = doc.resources?.fluid?.owners;
  if (!owners) {
    c.report(
      "E_UNKNOWN_RESOURCE",
      at,
      "documents by owner, but the policy records no owners",
      "add `owners: { tenant: tid }` under resources.fluid (the claim that names a caller's tenant)",
    );
    return;
  }
  for (const [issuerName, claims] of roleIssuers(doc, role)) {
    const decl = Object.hasOwn(claims, owners.tenant) ? claims[owners.tenant] : undefined;
    if (!decl || decl.type !== "string")
      c.report(
        "E_UNDECLARED_CLAIM",
        at,
        `documents by owner use the tenant claim '${owners.tenant}', which issuer '${issuerName}' does not declare as a string`,
        `declare '${owners.tenant}: { type: string }' under issuers.${issuerName}.claims (and list it in requiredClaims)`,
      );
  }
}

function checkDocumentPattern(pattern: string, at: JsonPath, c: Checker): void {
  const parsed = parseTemplate(pattern);
  parsed.parts.forEach((p, i) => {
    if (!("ref" in p)) {
      if (p.text.includes("?"))
        c.report(
          "E_TEMPLATE",
          at,
          "'?' is not a wildcard in document patterns",
          "use '*' (one or more characters other than '/')",
        );
      return;
    }
    const before = parsed.parts[i - 1];
    const after = parsed.parts[i + 1];
    const touches =
      (before && "text" in before && before.text.endsWith("*")) ||
      (after && "text" in after && after.text.startsWith("*"));
    if (touches) {
      const ref = `\${${p.ref}.${p.name}}`;
      const fix = `put a separator between them, e.g. ${ref}-*, with '${p.name}' declared so it cannot hold '-' (format: uuid, or a pattern without '-')`;
      c.report(
        "E_TEMPLATE",
        at,
        `'*' directly beside ${ref} lets one caller's value match another caller's documents`,
        fix,
        { offset: p.start },
      );
    }
  });
}

/**
 * A CDN prefix must end in '/' so `/tenants/${claims.tid}/` cannot also cover `/tenants/<tid>x/`, hold no wildcard,
 * and lie under a declared prefix, judged on its literal head before the first placeholder.
 */
function checkCdnPrefix(doc: PolicyDocument, prefix: string, at: JsonPath, c: Checker): void {
  if (!doc.resources?.cdn) {
    c.report(
      "E_UNKNOWN_RESOURCE",
      at.slice(0, -1),
      "a cdn grant, but the policy declares no CDN resources",
      "declare resources.cdn.prefixes",
      { key: true },
    );
    return;
  }
  if (!prefix.endsWith("/")) {
    c.report(
      "E_TEMPLATE",
      at,
      `prefix '${prefix}' does not end in '/', so it also covers paths that merely start the same way`,
      `end it with '/': '${prefix}/'`,
    );
    return;
  }
  if (/[*?]/.test(prefix) || /\/\.{1,2}\//.test(prefix) || prefix.includes("//")) {
    c.report(
      "E_TEMPLATE",
      at,
      `prefix '${prefix}' holds a wildcard, an empty segment or a '.'/'..' segment`,
      "a prefix is literal path segments and ${claims.x} placeholders, ending in '/'",
    );
    return;
  }
  const parts = parseTemplate(prefix).parts;
  const head = parts[0] && "text" in parts[0] ? parts[0].text : "";
  const declared = Object.keys(doc.resources.cdn.prefixes);
  const under = declared.find((d) => head.startsWith(d));
  if (!under) {
    const guess = closest(head, declared);
    c.report(
      "E_UNKNOWN_PATH",
      at,
      `prefix '${prefix}' is not under any declared CDN prefix (${declared.join(", ")})`,
      guess ? `did you mean '${guess}...'?` : "declare the prefix under resources.cdn.prefixes",
    );
  }
}

/** The ancestor role that already declares a grant equal to `key`, if any. */
function inheritedFrom(doc: PolicyDocument, role: string, key: string, seen = new Set<string>()): string | undefined {
  for (const parent of ownValue(doc.roles, role)?.inherits ?? []) {
    const source = ownValue(doc.roles, parent);
    if (seen.has(parent) || !source) continue;
    seen.add(parent);
    if ((source.grants ?? []).some((g) => canonicalJson(g) === key)) return parent;
    const deeper = inheritedFrom(doc, parent, key, seen);
    if (deeper) return deeper;
  }
  return undefined;
}
