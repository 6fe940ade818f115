/**
 * What a role can obtain (issue 7, item 2): its own and inherited grants as a map from target (a Cosmos container
 * partition or the whole container, a Fluid document pattern or document creation, a CDN prefix) to the widest
 * capabilities there. The diff compares these, not grant lists, so a grant that narrows while another still covers
 * the same access is no change.
 *
 * Capabilities follow the evaluator (lib/policy/runtime/evaluate.ts): a credential comes from one grant, never a
 * combination, so a target keeps every capability not dominated by another (Cosmos `all 1h` and `read 2h` are both
 * kept; Fluid `doc:read 1h` is dropped beside `doc:read doc:write 1h`). A capability is covered when a capability at
 * the same or a wider target dominates it: the whole container covers its partitions, a CDN prefix covers the
 * prefixes it starts (placeholders compared as text: same claim, same caller), Fluid `*` covers every pattern
 * (document ids cannot hold '/'). Anything else counts as not covered, so the diff errs towards reporting.
 */
import { formatDuration } from "../authoring/duration";
import type { CompiledGrant, CosmosAccess, FluidScope } from "../runtime/runtime-config";
import { renderTemplate } from "./render";

export type Backend = "cosmos" | "fluid" | "cdn";

export type Capability =
  | { backend: "cosmos"; access: CosmosAccess; ttlSeconds: number }
  | { backend: "fluid"; scopes: FluidScope[]; ttlSeconds: number }
  | { backend: "cdn"; ttlSeconds: number; bindClientIp: boolean; protocol: "https" | "https,http" };

export interface Target {
  backend: Backend;
  /** Cosmos: the container. */
  container?: string;
  /**
   * Cosmos: the partition template (`${claims.tid}`), null for the whole container; Fluid: the document pattern,
   * null for creating new documents; CDN: the prefix template.
   */
  scope: string | null;
  /** Stable identity and heading, e.g. "Cosmos `documents` partition `${claims.tid}`". */
  label: string;
}

export interface TargetAccess {
  target: Target;
  /** The maximal capabilities at this target, sorted. */
  capabilities: Capability[];
}

/** A role's effective access, keyed by target label. */
export type EffectiveAccess = Map<string, TargetAccess>;

export function effectiveAccess(grants: readonly CompiledGrant[]): EffectiveAccess {
  const out: EffectiveAccess = new Map();
  const add = (target: Target, cap: Capability) => {
    const entry = out.get(target.label) ?? { target, capabilities: [] };
    entry.capabilities.push(cap);
    out.set(target.label, entry);
  };
  for (const g of grants) {
    if (g.type === "cosmos") {
      const scope = g.partitionKey === null ? null : renderTemplate(g.partitionKey);
      add(cosmosTarget(g.container, scope), { backend: "cosmos", access: g.access, ttlSeconds: g.ttlSeconds });
    } else if (g.type === "fluid") {
      const cap: Capability = { backend: "fluid", scopes: [...g.scopes].sort(), ttlSeconds: g.ttlSeconds };
      add(g.owner ? ownedFluidTarget(g.owner) : fluidTarget(renderTemplate(g.documents)), cap);
      // Creating ignores the document pattern (the new id is the service's): a target of its own.
      if (g.create) add(fluidTarget(null), cap);
    } else {
      add(cdnTarget(renderTemplate(g.prefix)), {
        backend: "cdn",
        ttlSeconds: g.ttlSeconds,
        bindClientIp: g.bindClientIp,
        protocol: g.protocol,
      });
    }
  }
  for (const entry of out.values()) entry.capabilities = maximal(entry.capabilities);
  return out;
}

/** The capabilities at `target` in `access` that no capability at a covering target dominates. */
export function uncovered(target: Target, capabilities: Capability[], access: EffectiveAccess): Capability[] {
  const wider = [...access.values()].filter((a) => covers(a.target, target));
  return capabilities.filter((cap) => !wider.some((a) => a.capabilities.some((other) => dominates(other, cap))));
}

export function renderCapability(c: Capability): string {
  const ttl = formatDuration(c.ttlSeconds);
  switch (c.backend) {
    case "cosmos":
      return `${c.access}, ${ttl}`;
    case "fluid":
      return `${c.scopes.join(" ")}, ${ttl}`;
    case "cdn":
      return `${ttl}${c.bindClientIp ? ", bound to client IP" : ""}${c.protocol === "https" ? "" : `, ${c.protocol}`}`;
  }
}

function cosmosTarget(container: string, scope: string | null): Target {
  const label =
    scope === null ? `Cosmos \`${container}\` (every partition)` : `Cosmos \`${container}\` partition \`${scope}\``;
  return { backend: "cosmos", container, scope, label };
}

function fluidTarget(pattern: string | null): Target {
  return {
    backend: "fluid",
    scope: pattern,
    label: pattern === null ? "Fluid: create new documents" : `Fluid documents \`${pattern}\``,
  };
}

/** Documents by recorded owner: narrower than `*`; the creator's own documents are among its tenant's. */
function ownedFluidTarget(owner: "tenant" | "creator"): Target {
  const label =
    owner === "tenant" ? "Fluid documents owned by the caller's tenant" : "Fluid documents the caller created";
  return { backend: "fluid", scope: `owner:${owner}`, label };
}

function cdnTarget(prefix: string): Target {
  return { backend: "cdn", scope: prefix, label: `CDN \`${prefix}\`` };
}

/** Whether every resource `inner` names is also named by `outer`, for the same caller. */
function covers(outer: Target, inner: Target): boolean {
  if (outer.backend !== inner.backend) return false;
  if (outer.label === inner.label) return true;
  switch (outer.backend) {
    case "cosmos":
      return outer.container === inner.container && outer.scope === null;
    case "fluid":
      if (outer.scope === "owner:tenant") return inner.scope === "owner:creator";
      return outer.scope === "*" && inner.scope !== null;
    case "cdn":
      return inner.scope!.startsWith(outer.scope!);
  }
}

/** `a` gives at least everything `b` gives. */
function dominates(a: Capability, b: Capability): boolean {
  if (a.ttlSeconds < b.ttlSeconds) return false;
  if (a.backend === "cosmos" && b.backend === "cosmos") return a.access === "all" || b.access === "read";
  if (a.backend === "fluid" && b.backend === "fluid") return b.scopes.every((s) => a.scopes.includes(s));
  if (a.backend === "cdn" && b.backend === "cdn")
    return (!a.bindClientIp || b.bindClientIp) && (a.protocol === "https,http" || b.protocol === "https");
  return false;
}

function maximal(caps: Capability[]): Capability[] {
  const unique = [...new Map(caps.map((c) => [JSON.stringify(c), c])).values()];
  const kept = unique.filter((c) => !unique.some((o) => o !== c && dominates(o, c)));
  return kept.sort((a, b) => renderCapability(a).localeCompare(renderCapability(b)));
}
