/**
 * ECToken v3, the token of EdgeCast-derived CDNs (the retired Azure CDN from Edgio spoke it): AES-256-GCM with
 * key = SHA-256(key string), a 12-byte random IV and a 16-byte tag; token = base64url-no-padding(IV || ciphertext || tag);
 * plaintext = a query string of ec_* parameters (ec_expire, ec_url_allow, ec_clientip, ec_country_allow, ...).
 * Published vector (github.com/VerizonDigital/ectoken): key MY_SECRET_KEY decrypts fVSYBBTynMkvQECGV-Kdfp333R-MGY2fsrrpVyuqd7OiuAUsQ8ITrL0 to MY_COOL_TOKEN.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class ECTokenError extends Error {
  readonly code = "ERR_ECTOKEN_INVALID";
  constructor() {
    // One message for every failure: a wrong key and a tampered token must look the same.
    super("the token cannot be decrypted with this key (wrong key, or the token was altered)");
    this.name = "ECTokenError";
  }
}

function keyOf(key: string): Buffer {
  if (key.length === 0) throw new Error("the ECToken key must not be empty");
  return createHash("sha256").update(key, "utf8").digest();
}

export function encryptECToken(key: string, plaintext: string, iv: Buffer = randomBytes(IV_BYTES)): string {
  if (iv.length !== IV_BYTES) throw new Error(`the IV must be ${IV_BYTES} bytes`);
  const cipher = createCipheriv("aes-256-gcm", keyOf(key), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
}

export function decryptECToken(key: string, token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new ECTokenError();
  const raw = Buffer.from(token, "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new ECTokenError();
  const decipher = createDecipheriv("aes-256-gcm", keyOf(key), raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    throw new ECTokenError();
  }
}

/** The ec_* parameters a CDN grant maps to (the seed's parameters keep a home here). */
export interface ECTokenParams {
  expiresAt: number; // unix seconds -> ec_expire
  urlAllow?: string[]; // path prefixes -> ec_url_allow
  clientIp?: string; // -> ec_clientip
  countryAllow?: string[];
  countryDeny?: string[];
  refAllow?: string[];
  refDeny?: string[];
  protoAllow?: ("http" | "https")[];
}

export function ecTokenPlaintext(p: ECTokenParams): string {
  const parts: [string, string | undefined][] = [
    ["ec_expire", String(p.expiresAt)],
    ["ec_url_allow", p.urlAllow?.join(",")],
    ["ec_clientip", p.clientIp],
    ["ec_country_allow", p.countryAllow?.join(",")],
    ["ec_country_deny", p.countryDeny?.join(",")],
    ["ec_ref_allow", p.refAllow?.join(",")],
    ["ec_ref_deny", p.refDeny?.join(",")],
    ["ec_proto_allow", p.protoAllow?.join(",")],
  ];
  return parts
    .filter((x): x is [string, string] => x[1] !== undefined && x[1] !== "")
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}
