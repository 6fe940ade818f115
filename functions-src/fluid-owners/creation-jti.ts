/**
 * The jti of a Fluid creation token names the caller it was minted for: `c1.<nonce>.<mac>`, mac = HMAC-SHA256 over
 * (issuer, subject, nonce) with the tenant key. Routerlicious copies the creation token's jti into the receipt it
 * signs after creating the container (@fluidframework/server-services-utils getCreationToken), so the broker can
 * tell, without shared state, that a receipt comes from a creation token it minted for this very caller.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const PREFIX = "c1.";

function mac(key: string, issuer: string, subject: string, nonce: string): Buffer {
  return createHmac("sha256", Buffer.from(key, "utf8"))
    .update(`token-broker fluid creation\n${issuer}\n${subject}\n${nonce}`)
    .digest()
    .subarray(0, 18);
}

export function creationJti(key: string, issuer: string, subject: string): string {
  const nonce = randomBytes(12).toString("base64url");
  return `${PREFIX}${nonce}.${mac(key, issuer, subject, nonce).toString("base64url")}`;
}

/** Whether `jti` was made by creationJti for this caller with one of `keys` (key1 or key2: rotation). */
export function isCreationJtiOf(jti: unknown, keys: readonly string[], issuer: string, subject: string): boolean {
  if (typeof jti !== "string" || !jti.startsWith(PREFIX) || jti.length > 80) return false;
  const [nonce, given, extra] = jti.slice(PREFIX.length).split(".");
  if (!nonce || !given || extra !== undefined) return false;
  const givenBytes = Buffer.from(given, "base64url");
  return keys.some((k) => {
    if (k === "") return false;
    const expected = mac(k, issuer, subject, nonce);
    return expected.length === givenBytes.length && timingSafeEqual(expected, givenBytes);
  });
}
