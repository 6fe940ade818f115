/**
 * The per-request revocation check, after the token is verified (a cached verification included) and before
 * anything is minted. Refuses tokens that live longer than the policy's maxTokenLifetime (an entry could expire
 * before such a token does). When the store cannot be asked, the policy decides: deny (503) or allow.
 */
import type { CompiledRevocation } from "../../lib/policy/runtime/runtime-config";
import { problem, type BrokerResponse } from "../problem";
import { StoreUnavailableError } from "../store/shared-store";
import type { VerifiedToken } from "../verify/verify-token";
import type { RevocationList } from "./revocation-list";

export type RevocationCheck = (token: VerifiedToken) => Promise<{ refused?: BrokerResponse; reason?: string }>;

export function createRevocationCheck(
  list: RevocationList,
  policy: CompiledRevocation,
  onUnchecked: () => void = () => undefined,
): RevocationCheck {
  const invalid = (detail: string) =>
    problem("invalid-token", detail, { headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
  return async (token) => {
    const iat = Number(token.claims.iat);
    if (!(token.expiresAt - iat <= policy.maxTokenLifetimeSeconds)) {
      return {
        refused: invalid("the token lives longer than this broker accepts while revocation is on"),
        reason: "ERR_TOKEN_LIFETIME",
      };
    }
    const jti = typeof token.claims.jti === "string" ? token.claims.jti : undefined;
    try {
      if (await list.isRevoked(token.issuer, token.subject, jti))
        return { refused: invalid("the token has been revoked"), reason: "ERR_TOKEN_REVOKED" };
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      if (policy.onStoreDown === "deny") {
        return {
          refused: problem("backend-unavailable", "the revocation list cannot be checked right now", {
            headers: { "retry-after": "5" },
          }),
          reason: "ERR_STORE_UNAVAILABLE",
        };
      }
      onUnchecked();
    }
    return {};
  };
}
