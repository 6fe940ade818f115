/**
 * Fluid Relay / routerlicious tokens: an HS256 JWT signed with the tenant key (its UTF-8 bytes), claims
 * documentId ("" when creating), scopes, tenantId, user, iat, exp (<= 1 hour), ver "1.0", jti.
 * Source: learn.microsoft.com/azure/azure-fluid-relay/how-tos/fluid-json-web-token. The user comes from the verified
 * token's subject and name, never from the request.
 */
import { createHmac, createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import { FLUID_MAX_TTL_SECONDS } from "../../lib/policy/runtime/limits";
import type { FluidScope } from "../../lib/policy/runtime/runtime-config";

export interface FluidTokenRequest {
  tenantId: string;
  /** "" for a creation token. */
  documentId: string;
  scopes: FluidScope[];
  user: { id: string; name?: string };
  ttlSeconds: number;
  /** The tenant key to sign with (the active one of key1/key2). */
  key: string;
  /** Unix seconds. @default now */
  now?: number;
  jti?: string;
}

export interface MintedFluidToken {
  jwt: string;
  jti: string;
  expiresAt: number;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
/** The header never changes: encoded once. */
const HEADER = b64({ alg: "HS256", typ: "JWT" });

export function mintFluidToken(r: FluidTokenRequest): MintedFluidToken {
  // The policy compiler already caps the TTL; this guards against a config that did not come from it.
  if (!Number.isInteger(r.ttlSeconds) || r.ttlSeconds < 1 || r.ttlSeconds > FLUID_MAX_TTL_SECONDS) {
    throw new RangeError(`Fluid token lifetime must be 1..${FLUID_MAX_TTL_SECONDS} s, got ${r.ttlSeconds}`);
  }
  if (r.key.length === 0) throw new RangeError("the Fluid tenant key is empty");
  const iat = r.now ?? Math.floor(Date.now() / 1000);
  const jti = r.jti ?? randomUUID();
  const claims = {
    documentId: r.documentId,
    scopes: r.scopes,
    tenantId: r.tenantId,
    user: r.user.name === undefined ? { id: r.user.id } : { id: r.user.id, name: r.user.name },
    iat,
    exp: iat + r.ttlSeconds,
    ver: "1.0",
    jti,
  };
  const unsigned = `${HEADER}.${b64(claims)}`;
  const signature = createHmac("sha256", secretKey(r.key)).update(unsigned).digest("base64url");
  return { jwt: `${unsigned}.${signature}`, jti, expiresAt: claims.exp };
}

/**
 * Which of key1/key2 signs. Rotation without downtime: switch signing to key2, wait one token lifetime, regenerate
 * key1 in Fluid Relay (tokens signed with key2 stay valid), switch back if desired. The service accepts both keys.
 */
export function activeFluidKey(keys: { key1: string; key2: string; active: "key1" | "key2" }): string {
  return keys.active === "key2" ? keys.key2 : keys.key1;
}

/** The tenant key as a KeyObject, made again only when the key changes (rotation). */
let lastKeyText: string | undefined;
let lastKeyObject: KeyObject | undefined;
function secretKey(key: string): KeyObject {
  if (key !== lastKeyText || !lastKeyObject) {
    lastKeyObject = createSecretKey(Buffer.from(key, "utf8"));
    lastKeyText = key;
  }
  return lastKeyObject;
}
