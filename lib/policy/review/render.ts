/** Conditions and grants as short human-readable text, shared by `explain` and `diff`. */
import { formatDuration } from "../authoring/duration";
import type { CompiledCondition, CompiledGrant } from "../runtime/runtime-config";
import type { TemplatePart } from "../runtime/template";

export function renderTemplate(parts: readonly TemplatePart[] | null): string {
  if (parts === null) return "(whole container)";
  return parts.map((p) => (typeof p === "string" ? p : `\${claims.${p.claim}}`)).join("");
}

export function renderCondition(c: CompiledCondition): string {
  switch (c.op) {
    case "all":
      return c.of.map((x) => wrap(x)).join(" and ");
    case "any":
      return c.of.map((x) => wrap(x)).join(" or ");
    case "not":
      return `not ${wrap(c.of)}`;
    case "exists":
      return c.value ? `${c.claim} is present` : `${c.claim} is absent`;
    case "equals":
      return `${c.claim} = ${JSON.stringify(c.value)}`;
    case "in":
      return `${c.claim} in [${c.values.map((v) => JSON.stringify(v)).join(", ")}]`;
    case "contains":
      return `${c.claim} contains ${JSON.stringify(c.value)}`;
    case "prefix":
      return `${c.claim} starts with ${JSON.stringify(c.value)}`;
    case "glob":
      return `${c.claim} matches glob ${JSON.stringify(c.glob)}`;
  }
}

function wrap(c: CompiledCondition): string {
  return c.op === "all" || c.op === "any" ? `(${renderCondition(c)})` : renderCondition(c);
}

/** What a grant is about (its identity in a diff): `Cosmos documents`, `Fluid *`, `CDN /tenants/${claims.tid}/`. */
export function grantTarget(g: CompiledGrant): string {
  switch (g.type) {
    case "cosmos":
      return `Cosmos \`${g.container}\``;
    case "fluid":
      if (g.owner)
        return g.owner === "tenant"
          ? "Fluid documents owned by the caller's tenant"
          : "Fluid documents the caller created";
      return `Fluid documents \`${renderTemplate(g.documents)}\``;
    case "cdn":
      return `CDN \`${renderTemplate(g.prefix)}\``;
  }
}

export function renderGrant(g: CompiledGrant): string {
  switch (g.type) {
    case "cosmos":
      return `${grantTarget(g)} partition \`${renderTemplate(g.partitionKey)}\`, ${g.access}, ${formatDuration(g.ttlSeconds)}`;
    case "fluid":
      return `${grantTarget(g)}${g.create ? " (may create)" : ""}, ${g.scopes.join(" ")}, ${formatDuration(g.ttlSeconds)}`;
    case "cdn":
      return `${grantTarget(g)}, ${formatDuration(g.ttlSeconds)}${g.bindClientIp ? ", bound to client IP" : ""}${g.protocol === "https" ? "" : `, ${g.protocol}`}`;
  }
}
