/**
 * The tenant a caller owns documents for: the value of the policy's tenant claim, when it is a string that cannot
 * widen a key (same rule as templates: no '/', '\', '*', ',', '..', control characters, not empty).
 */
import { unsafeValueReason } from "../../lib/policy/runtime/template";

export function ownerTenantOf(claims: Readonly<Record<string, unknown>>, tenantClaim: string): string | undefined {
  if (!Object.hasOwn(claims, tenantClaim)) return undefined;
  const value = claims[tenantClaim];
  if (typeof value !== "string" || value.length > 256 || unsafeValueReason(value) !== undefined) return undefined;
  return value;
}
