/**
 * The claims an audit record keeps: exactly those the policy reads (conditions and templates), so
 * `token-broker policy replay` can re-evaluate the exchange under another policy. Never the token, never a claim the
 * policy does not declare and read. With a hash key, claims the policy only tests for equality are kept as keyed
 * hashes (lib/policy/runtime/claims-read.ts says why that still replays). See docs/replay.md.
 */
import { ownValue, setOwn } from "../lib/policy/runtime/own";
import { claimsReadByPolicy, hashClaim } from "../lib/policy/runtime/claims-read";
import type { RuntimeConfig } from "../lib/policy/runtime/runtime-config";
import type { ClaimValues } from "../lib/policy/runtime/template";

export interface AuditClaims {
  claims: Record<string, unknown>;
  /** Names of the claims recorded as keyed hashes. */
  hashed?: string[];
}

/** Built once per config: the hot path only copies a handful of properties. */
export function createAuditClaims(config: RuntimeConfig, hashKey?: Uint8Array): (claims: ClaimValues) => AuditClaims {
  const uses = [...claimsReadByPolicy(config)];
  return (claims) => {
    const kept: Record<string, unknown> = {};
    const hashed: string[] = [];
    for (const [name, use] of uses) {
      const value = ownValue(claims, name);
      if (value === undefined) continue;
      if (hashKey && use === "equality") {
        setOwn(kept, name, hashClaim(hashKey, value));
        hashed.push(name);
      } else setOwn(kept, name, value);
    }
    return hashed.length > 0 ? { claims: kept, hashed } : { claims: kept };
  };
}
