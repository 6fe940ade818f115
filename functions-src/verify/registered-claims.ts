/**
 * Checked after the signature, so nothing in an unsigned payload is trusted or reported.
 */
import { hasOwnName } from "../../lib/policy/runtime/own";
import type { JWTPayload } from "jose";
import type { CompiledIssuer } from "../../lib/policy/runtime/runtime-config";
import { TokenError } from "./verify-token";

/** A media type as `typ` compares it: case-insensitive, `application/` optional (RFC 7515 section 4.1.9). */
function typ(v: string): string {
  return v.toLowerCase().replace(/^application\//, "");
}

/**
 * RFC 7519 registered claims, with the same rules jose 5 applies (`lib/jwt_claims_set.js`): typ, required claims,
 * exact issuer, audience (string or list), iat/nbf/exp as numbers, nbf and exp within the clock tolerance.
 */
export function checkRegisteredClaims(
  header: Record<string, unknown>,
  claims: JWTPayload,
  issuer: CompiledIssuer,
  /** The claims that must be present, in the order a missing one is reported (built once per issuer). */
  required: readonly string[],
  iss: string,
  nowSeconds: number,
): void {
  if (issuer.tokenType && (typeof header.typ !== "string" || typ(header.typ) !== typ(issuer.tokenType))) {
    throw new TokenError("ERR_TOKEN_TYPE", "the token's type (typ) is not the one this issuer requires");
  }
  if (!hasOwnName(claims, "aud"))
    throw new TokenError("ERR_TOKEN_AUDIENCE", "the token is not meant for this broker (audience)");
  for (const claim of required) {
    if (!hasOwnName(claims, claim))
      throw new TokenError("ERR_TOKEN_CLAIMS", `the token's claim '${claim}' is missing or invalid`);
  }
  if (claims.iss !== iss)
    throw new TokenError("ERR_TOKEN_UNTRUSTED_ISSUER", "the token's issuer is not trusted by this policy");
  const aud = claims.aud;
  const audienceOk =
    typeof aud === "string"
      ? issuer.audiences.includes(aud)
      : Array.isArray(aud) && aud.some((a) => issuer.audiences.includes(a));
  if (!audienceOk) throw new TokenError("ERR_TOKEN_AUDIENCE", "the token is not meant for this broker (audience)");
  const tolerance = issuer.clockToleranceSeconds;
  if (typeof claims.iat !== "number")
    throw new TokenError("ERR_TOKEN_CLAIMS", "the token's claim 'iat' is missing or invalid");
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== "number")
      throw new TokenError("ERR_TOKEN_CLAIMS", "the token's claim 'nbf' is missing or invalid");
    if (claims.nbf > nowSeconds + tolerance)
      throw new TokenError("ERR_TOKEN_NOT_YET_VALID", "the token is not valid yet");
  }
  if (typeof claims.exp !== "number")
    throw new TokenError("ERR_TOKEN_CLAIMS", "the token's claim 'exp' is missing or invalid");
  if (claims.exp <= nowSeconds - tolerance) throw new TokenError("ERR_TOKEN_EXPIRED", "the token has expired");
}
