/**
 * The JWS signature check, synchronous. jose's own check promisifies `crypto.verify`, which sends every signature to
 * the libuv thread pool and back: on the broker's hot path that hop cost more than the RSA verification itself
 * (profiled: issue 12). `crypto.verify` without a callback runs the same OpenSSL check in place.
 * The key checks follow RFC 7518 and match jose 5's (`runtime/node_key.js`): RSA keys of at least 2048 bits for
 * RS and PS, the curve that belongs to each ES algorithm, Ed25519/Ed448 for EdDSA.
 */
import { constants, verify as cryptoVerify, type KeyObject } from "node:crypto";

const EC_CURVES: Record<string, string> = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" };
/** Verified (key, alg) pairs: the key checks run once per key, not once per token. */
const usable = new WeakMap<KeyObject, Set<string>>();

export class UnusableKeyError extends Error {
  constructor(alg: string) {
    super(`the issuer's key cannot be used with ${alg}`);
    this.name = "UnusableKeyError";
  }
}

function assertUsable(alg: string, key: KeyObject): void {
  if (usable.get(key)?.has(alg)) return;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const family = alg.slice(0, 2);
  let ok = false;
  if (key.type !== "public") ok = false;
  else if (family === "RS") ok = type === "rsa" && (details.modulusLength ?? 0) >= 2048;
  else if (family === "PS") {
    const bits = Number(alg.slice(2));
    const pssParamsOk =
      type !== "rsa-pss" ||
      details.hashAlgorithm === undefined ||
      (details.hashAlgorithm === `sha${bits}` &&
        details.mgf1HashAlgorithm === details.hashAlgorithm &&
        (details.saltLength ?? 0) <= bits >> 3);
    ok = (type === "rsa" || type === "rsa-pss") && pssParamsOk && (details.modulusLength ?? 0) >= 2048;
  } else if (family === "ES") ok = type === "ec" && details.namedCurve === EC_CURVES[alg];
  else if (alg === "EdDSA") ok = type === "ed25519" || type === "ed448";
  if (!ok) throw new UnusableKeyError(alg);
  let algs = usable.get(key);
  if (!algs) usable.set(key, (algs = new Set()));
  algs.add(alg);
}

/** True when `signature` is `alg`'s signature of `signingInput` (the ASCII `header.payload`) under `key`. */
export function verifyJwsSignature(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  assertUsable(alg, key);
  const data = Buffer.from(signingInput, "latin1");
  try {
    switch (alg.slice(0, 2)) {
      case "RS":
        return cryptoVerify(`sha${alg.slice(2)}`, data, key, signature);
      case "PS":
        return cryptoVerify(
          `sha${alg.slice(2)}`,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case "ES":
        return cryptoVerify(`sha${alg.slice(2)}`, data, { key, dsaEncoding: "ieee-p1363" }, signature);
      default:
        return alg === "EdDSA" && cryptoVerify(null, data, key, signature);
    }
  } catch {
    // OpenSSL refuses malformed signatures (wrong length, bad encoding) by throwing: that is a failed check.
    return false;
  }
}
