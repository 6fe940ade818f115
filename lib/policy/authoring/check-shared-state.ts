/** Checks for the sections that need the shared store: `revocation` and `rateLimit`. */
import type { Checker } from "./checker";
import { parseDuration } from "./duration";
import type { PolicyDocument } from "./source-types";
import { closest } from "./spelling";

/** A revocation entry lives as long as the longest caller token; a week bounds the deny-list's size and age. */
export const MAX_TOKEN_LIFETIME_SECONDS = 7 * 86400;
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 86400;

export function checkSharedState(doc: PolicyDocument, c: Checker): void {
  const revocation = doc.revocation;
  if (revocation) {
    const roles = Object.keys(doc.roles);
    (revocation.adminRoles ?? []).forEach((role, i) => {
      if (roles.includes(role)) return;
      const guess = closest(role, roles);
      c.report(
        "E_UNKNOWN_ROLE",
        ["revocation", "adminRoles", i],
        `revocation admin role '${role}' does not exist`,
        guess ? `did you mean '${guess}'?` : `known roles: ${roles.join(", ")}`,
      );
    });
    if (revocation.maxTokenLifetime !== undefined) {
      const seconds = parseDuration(revocation.maxTokenLifetime);
      if (seconds === undefined || seconds < 60) {
        c.report(
          "E_DURATION",
          ["revocation", "maxTokenLifetime"],
          `maxTokenLifetime '${revocation.maxTokenLifetime}' is not a duration of at least 60s`,
          "write e.g. 1h, 12h or 1d",
        );
      } else if (seconds > MAX_TOKEN_LIFETIME_SECONDS) {
        c.report(
          "E_TTL_LIMIT",
          ["revocation", "maxTokenLifetime"],
          `maxTokenLifetime ${revocation.maxTokenLifetime} is above 7d`,
          "a revocation entry lives this long; keep caller tokens short-lived (1h-1d) and this at most 7d",
        );
      }
    }
  }
  const limit = doc.rateLimit;
  if (limit && (limit.burst ?? 20) < (limit.perSecond ?? 2)) {
    c.report(
      "E_SCHEMA",
      ["rateLimit", limit.burst === undefined ? "perSecond" : "burst"],
      `rateLimit burst ${limit.burst ?? 20} is below perSecond ${limit.perSecond ?? 2}`,
      "the budget refills over burst/perSecond seconds, which must be at least 1s: raise burst to at least perSecond",
    );
  }
}
