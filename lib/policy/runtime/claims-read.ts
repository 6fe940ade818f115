/**
 * Which claims a compiled policy reads, and how: what the broker's audit record keeps so `policy replay` can
 * re-evaluate an exchange later. Only declared claims can appear in conditions and templates (the checker
 * enforces it), so the audit record never carries an undeclared claim.
 *
 * A claim the policy only tests for equality (`equals`, `in`, `contains`, `exists`) may be recorded as a keyed hash
 * (HMAC-SHA256): equality survives hashing when replay hashes the policy's literals with the same key, while the log
 * no longer holds the group id or role name in clear. A claim used in a template, `prefix` or `glob` needs its value,
 * so it is never hashed (its value already shows in the credential's scope).
 */
import { createHmac } from "node:crypto";
import type { CompiledCondition, CompiledRole, RuntimeConfig } from "./runtime-config";

export type ClaimUse = "equality" | "value";

export function claimsReadByPolicy(config: RuntimeConfig): Map<string, ClaimUse> {
  const uses = new Map<string, ClaimUse>();
  const tenantClaim = config.resources.fluidOwners?.tenantClaim;
  for (const role of config.roles)
    for (const [claim, use] of claimsReadByRole(role, tenantClaim)) mark(uses, claim, use);
  return uses;
}

/**
 * The claims one compiled role reads in its condition and in its grants' templates (inherited grants included), and
 * the policy's Fluid tenant claim when a grant is owner-scoped (`config.resources.fluidOwners.tenantClaim`).
 */
export function claimsReadByRole(role: CompiledRole, fluidTenantClaim?: string): Map<string, ClaimUse> {
  const uses = new Map<string, ClaimUse>();
  const walk = (c: CompiledCondition): void => {
    switch (c.op) {
      case "all":
      case "any":
        c.of.forEach(walk);
        return;
      case "not":
        walk(c.of);
        return;
      case "equals":
      case "in":
      case "contains":
      case "exists":
        mark(uses, c.claim, "equality");
        return;
      case "prefix":
      case "glob":
        mark(uses, c.claim, "value");
    }
  };
  walk(role.when);
  for (const g of role.grants) {
    const parts = g.type === "cosmos" ? (g.partitionKey ?? []) : g.type === "fluid" ? g.documents : g.prefix;
    for (const p of parts) if (typeof p !== "string") mark(uses, p.claim, "value");
    // An owner-scoped grant compares the tenant claim with the document's recorded owner.
    if (g.type === "fluid" && g.owner && fluidTenantClaim) mark(uses, fluidTenantClaim, "value");
  }
  return uses;
}

function mark(uses: Map<string, ClaimUse>, claim: string, use: ClaimUse): void {
  if (uses.get(claim) !== "value") uses.set(claim, use);
}

export const HASH_PREFIX = "hmac:";

/** Keyed hash of one scalar claim value; the type letter keeps 3 and "3" apart, as the role index does. */
export function hashClaimValue(key: Uint8Array, value: unknown): string {
  const typed = `${typeof value === "number" ? "n" : typeof value === "boolean" ? "b" : "s"}:${String(value)}`;
  return HASH_PREFIX + createHmac("sha256", key).update(typed).digest("base64url");
}

/** A claim value with each scalar (or each element of a list) hashed. */
export function hashClaim(key: Uint8Array, value: unknown): unknown {
  return Array.isArray(value) ? value.map((v) => hashClaimValue(key, v)) : hashClaimValue(key, value);
}
