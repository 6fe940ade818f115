/**
 * The receipt the Fluid service signs right after it creates a container, which the client's
 * `documentPostCreateCallback(documentId, token)` receives (learn.microsoft.com/azure/azure-fluid-relay/how-tos/
 * validate-document-creator). What routerlicious signs (FluidFramework server/routerlicious/packages/
 * routerlicious-base/src/alfred/routes/api/documents.ts, createDocument with `generateToken`, and
 * @fluidframework/server-services-utils getCreationToken -> tenantManager.signToken): an HS256 JWT with the tenant key,
 * claims documentId (the new id), scopes [] (no access at all), tenantId, user (copied from the creation token),
 * iat, exp (iat + 300 s), ver and jti (copied from the creation token).
 *
 * Every check below refuses a receipt rather than repairs it: the key (key1 or key2), the algorithm, the expiry,
 * the document id the caller names, the Fluid tenant, empty scopes (a broker-minted access token for a document,
 * signed with the same key, always has scopes and must never pass as a receipt), the creating user equal to the
 * caller, and a jti the broker minted for this caller (creation-jti.ts).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { isCreationJtiOf } from "./creation-jti";

export type ReceiptRefusal =
  | "receipt-malformed"
  | "receipt-signature"
  | "receipt-expired"
  | "receipt-document"
  | "receipt-tenant"
  | "receipt-scopes"
  | "receipt-user"
  | "receipt-origin";

export class ReceiptError extends Error {
  constructor(
    readonly code: ReceiptRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifiedReceipt {
  documentId: string;
  jti: string;
  expiresAt: number;
}

/** Receipts live 5 minutes; a longer one did not come from the service's creation route. */
const MAX_RECEIPT_LIFETIME_SECONDS = 3600;
const CLOCK_SKEW_SECONDS = 60;

export function verifyCreationReceipt(
  receipt: string,
  expect: {
    documentId: string;
    fluidTenantId: string;
    keys: readonly string[];
    issuer: string;
    subject: string;
    /** Unix seconds. */
    now: number;
  },
): VerifiedReceipt {
  const parts = receipt.split(".");
  if (parts.length !== 3 || receipt.length > 8192) throw new ReceiptError("receipt-malformed", "not a compact JWS");
  let header: unknown;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new ReceiptError("receipt-malformed", "the receipt's header or claims are not JSON");
  }
  if (typeof header !== "object" || header === null || (header as { alg?: unknown }).alg !== "HS256")
    throw new ReceiptError("receipt-malformed", "the receipt is not HS256");
  if (typeof claims !== "object" || claims === null || Array.isArray(claims))
    throw new ReceiptError("receipt-malformed", "the receipt's claims are not an object");
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2], "base64url");
  const signedByTenant = expect.keys.some((k) => {
    if (k === "") return false;
    const mac = createHmac("sha256", Buffer.from(k, "utf8")).update(signed).digest();
    return mac.length === given.length && timingSafeEqual(mac, given);
  });
  if (!signedByTenant) throw new ReceiptError("receipt-signature", "the receipt is not signed with the tenant key");
  const { exp, iat } = claims;
  if (typeof exp !== "number" || typeof iat !== "number" || exp - iat > MAX_RECEIPT_LIFETIME_SECONDS)
    throw new ReceiptError("receipt-malformed", "the receipt's iat/exp are missing or too far apart");
  if (exp <= expect.now || iat > expect.now + CLOCK_SKEW_SECONDS)
    throw new ReceiptError("receipt-expired", "the receipt has expired");
  if (claims.documentId !== expect.documentId)
    throw new ReceiptError("receipt-document", "the receipt is for another document");
  if (claims.tenantId !== expect.fluidTenantId)
    throw new ReceiptError("receipt-tenant", "the receipt is for another Fluid tenant");
  if (!Array.isArray(claims.scopes) || claims.scopes.length !== 0)
    throw new ReceiptError("receipt-scopes", "the token carries scopes: it is not a creation receipt");
  const user = claims.user as { id?: unknown } | undefined;
  if (typeof user !== "object" || user === null || user.id !== expect.subject)
    throw new ReceiptError("receipt-user", "the receipt names another user than the caller");
  if (!isCreationJtiOf(claims.jti, expect.keys, expect.issuer, expect.subject))
    throw new ReceiptError("receipt-origin", "the receipt does not come from a creation token minted for the caller");
  return { documentId: expect.documentId, jti: claims.jti as string, expiresAt: exp };
}
