/** `revocation` and `rateLimit` into the runtime config; absent sections stay absent (the policy hash is unchanged). */
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from "./check-shared-state";
import { parseDuration } from "./duration";
import type { PolicyDocument } from "./source-types";
import type { CompiledRateLimit, CompiledRevocation } from "../runtime/runtime-config";

export function compileSharedState(doc: PolicyDocument): {
  revocation?: CompiledRevocation;
  rateLimit?: CompiledRateLimit;
} {
  const r = doc.revocation;
  const l = doc.rateLimit;
  return {
    ...(r && {
      revocation: {
        adminRoles: r.adminRoles,
        onStoreDown: r.onStoreDown ?? "deny",
        maxTokenLifetimeSeconds:
          r.maxTokenLifetime === undefined ? DEFAULT_TOKEN_LIFETIME_SECONDS : parseDuration(r.maxTokenLifetime)!,
      },
    }),
    ...(l && { rateLimit: { scope: l.scope ?? "instance", perSecond: l.perSecond ?? 2, burst: l.burst ?? 20 } }),
  };
}

/** Why this environment needs the shared store, if it does (the stacks provision it only then). */
export function sharedStoreReasons(doc: PolicyDocument): ("revocation" | "global-rate-limit")[] {
  const reasons: ("revocation" | "global-rate-limit")[] = [];
  if (doc.revocation) reasons.push("revocation");
  if (doc.rateLimit?.scope === "global") reasons.push("global-rate-limit");
  return reasons;
}
