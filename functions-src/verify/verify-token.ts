/**
 * The broker's own check of the caller's JWT (Easy Auth is the first gate, this is the second: a spoofed header or
 * a disabled Easy Auth must never yield a credential). Every failure is a TokenError with a stable code; callers map
 * codes to HTTP once, at the edge. No error message contains the token or a claim value.
 */
import { hasOwnName, ownValue } from "../../lib/policy/runtime/own";
import { KeyObject } from "node:crypto";
import { errors as joseErrors, type JWSHeaderParameters, type JWTPayload } from "jose";
import type { CompiledIssuer, RuntimeConfig } from "../../lib/policy/runtime/runtime-config";
import { BoundedCache } from "../bounded-cache";
import { CACHE_BUDGET } from "../memory-budget";
import { DuplicateKeyError, parseWithoutDuplicateKeys } from "./duplicate-keys";
import { KeysUnavailableError, TokenError } from "../errors";
import { checkEasyAuthPrincipal, EasyAuthMismatch, type EasyAuthPrincipal } from "./easy-auth-principal";
import { IssuerKeys, type IssuerKeysOptions } from "./issuer-keys";
import { UnusableKeyError, verifyJwsSignature } from "./jws-signature";
import { checkRegisteredClaims } from "./registered-claims";
import { CachedPrints, fingerprint } from "./cached-prints";
import { compileLinearPattern } from "../../lib/policy/runtime/linear-match";

// Defined in ../errors (the one error family); re-exported for existing importers.
export { TokenError, type TokenErrorCode } from "../errors";

export interface VerifiedToken {
  issuer: string; // the policy's issuer name
  subject: string;
  claims: Readonly<Record<string, unknown>>;
  expiresAt: number; // unix seconds
}

export type { EasyAuthPrincipal } from "./easy-auth-principal";

export interface VerifierOptions extends IssuerKeysOptions {
  /** @default 8192 */
  maxTokenBytes?: number;
  /** @default 10000 */
  cacheEntries?: number;
}

const ASYMMETRIC = new Set(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]);
const REFUSED_HEADERS = ["jku", "x5u", "jwk", "x5c", "x5t", "crit", "b64", "zip"];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What the verifier keeps per trusted `iss`: the issuer's config, its keys, and checks compiled once. */
interface IssuerEntry {
  config: CompiledIssuer;
  keys: IssuerKeys;
  /** The claims the payload must hold, in the order jose reports a missing one. */
  required: readonly string[];
  /** One check per declared claim (type, pattern, enum), built from the policy once. */
  declared: readonly (readonly [name: string, ok: (value: unknown) => boolean])[];
  /**
   * The key that verified tokens with this exact header (the encoded text), and the key set it came from. A token
   * with a known header is checked synchronously with that key while the set is unchanged and fresh, which is what
   * jose's resolver would pick again; anything else (a new header, a refresh due, several matching keys) takes
   * the resolver.
   */
  keyByHeader: Map<string, { key: KeyObject; generation: number }>;
}

export class TokenVerifier {
  private readonly byIss = new Map<string, IssuerEntry>();
  private readonly cache: BoundedCache<VerifiedToken>;
  /** Answers "not cached" for most fresh tokens without hashing their text for a lookup (issue 17). */
  private readonly cachedPrints: CachedPrints;
  private readonly now: () => number;
  private readonly maxTokenBytes: number;
  private readonly headers = new Map<string, Readonly<Record<string, unknown>>>();
  private lastCompact: string | undefined;
  /**
   * Fingerprints of tokens verified once but not cached yet: a token enters the cache on its second verification.
   * A fresh token used once (most tokens at a busy broker) then costs no cache insert and leaves nothing for the
   * garbage collector to copy and promote (issue 17); a caller that repeats its token is cached from its second
   * request on. Only what is cached changes, never an answer: a token not in the cache is verified in full.
   */
  private readonly seenOnce = new Int32Array(SEEN_SLOTS);

  constructor(config: RuntimeConfig, options: VerifierOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxTokenBytes = options.maxTokenBytes ?? 8192;
    const entries = options.cacheEntries ?? 10_000;
    this.cache = new BoundedCache<VerifiedToken>(entries, this.now, CACHE_BUDGET.verifiedTokens);
    this.cachedPrints = new CachedPrints(entries, () => this.cache.keys());
    for (const issuer of config.issuers) {
      const required = [...issuer.requiredClaims, issuer.subjectClaim, "iat", "exp"].reverse();
      const declared = Object.entries(issuer.claims).map(([name, decl]) => [name, claimCheck(decl)] as const);
      issuer.issuers.forEach((iss, i) =>
        this.byIss.set(iss, {
          config: issuer,
          keys: new IssuerKeys(iss, issuer.discovery[i], options),
          required,
          declared,
          keyByHeader: new Map(),
        }),
      );
    }
  }

  /** Whether this exact token was verified and is still held (it then passed every structural check). */
  knows(token: string): boolean {
    return this.cachedPrints.mayHold(token) && this.cache.has(token);
  }

  /**
   * Whether the text has the compact JWS form (three base64url segments), the check the broker's core makes on the
   * Authorization header. The last text that passed is remembered, so verifying that same text next does not scan
   * its ~1 KB again (issue 17); any other text is scanned as before.
   */
  isCompactJws(candidate: string): boolean {
    if (candidate === this.lastCompact) return true;
    if (!COMPACT_JWS.test(candidate)) return false;
    this.lastCompact = candidate;
    return true;
  }

  /** Keys fetched so far, per accepted `iss` (for tests and metrics). */
  fetchCount(iss: string): number {
    return this.byIss.get(iss)?.keys.fetches ?? 0;
  }

  async verify(token: unknown, easyAuth?: EasyAuthPrincipal): Promise<VerifiedToken> {
    return this.verifyNow(token, easyAuth);
  }

  /**
   * The same checks and answers as `verify`, but synchronous whenever no key has to be fetched: the result, or a
   * promise of it only when the issuer's key set must be (re)loaded; a failure found without a fetch is thrown at
   * once. The broker's core takes this path, saving an async frame and its microtask turns per exchange (issue 17).
   */
  verifyNow(token: unknown, easyAuth?: EasyAuthPrincipal): VerifiedToken | Promise<VerifiedToken> {
    if (typeof token !== "string" || token.length === 0) throw new TokenError("ERR_TOKEN_MALFORMED", "no bearer token");
    if (token.length > this.maxTokenBytes)
      throw new TokenError("ERR_TOKEN_TOO_LARGE", `the token is larger than ${this.maxTokenBytes} bytes`);
    // Keyed by the token itself: a hit needs the exact same string (hashing it first cost more than it saved).
    const cached = this.cachedPrints.mayHold(token) ? this.cache.get(token) : undefined;
    if (cached && cached.expiresAt * 1000 > this.now()) return this.agreeWithEasyAuth(cached, easyAuth);

    if (!this.isCompactJws(token)) throw new TokenError("ERR_TOKEN_MALFORMED", "the token is not a compact signed JWT");
    const firstDot = token.indexOf(".");
    const lastDot = token.lastIndexOf(".");
    const headerPart = token.slice(0, firstDot);
    const signaturePart = token.slice(lastDot + 1);
    const header = this.decodeHeader(headerPart);
    const payload = decodeSegment(token.slice(firstDot + 1, lastDot), "payload");
    // The last base64url character can carry unused low bits: flipping them spells another token string for the same
    // signature bytes, which anything keyed on the string (the cache, a deny-list) would treat as a new token.
    if (!isCanonicalBase64url(signaturePart)) {
      throw new TokenError("ERR_TOKEN_MALFORMED", "the token signature is not canonical base64url");
    }
    for (const h of REFUSED_HEADERS)
      if (hasOwnName(header, h))
        throw new TokenError("ERR_TOKEN_HEADER", `the token header carries '${h}', which this broker refuses`);
    if (typeof header.alg !== "string" || !ASYMMETRIC.has(header.alg))
      throw new TokenError("ERR_TOKEN_ALGORITHM", "the token is not signed with an allowed asymmetric algorithm");
    const entry = typeof payload.iss === "string" ? this.byIss.get(payload.iss) : undefined;
    if (!entry) throw new TokenError("ERR_TOKEN_UNTRUSTED_ISSUER", "the token's issuer is not trusted by this policy");
    const issuer = entry.config;
    if (!issuer.algorithms.includes(header.alg))
      throw new TokenError(
        "ERR_TOKEN_ALGORITHM",
        `this issuer's tokens must be signed with ${issuer.algorithms.join(" or ")}`,
      );

    // Signature first, then claims (jose's order): nothing about an unsigned payload is trusted or reported.
    const signingInput = token.slice(0, lastDot);
    const signature = Buffer.from(signaturePart, "base64url");
    const known = entry.keyByHeader.get(headerPart);
    if (known && known.generation === entry.keys.generation && entry.keys.fresh()) {
      if (!this.signedWith(header.alg, known.key, signingInput, signature)) throw badSignature();
      return this.acceptClaims(token, header, payload, entry, easyAuth);
    }
    return this.checkSignature(entry, header as JWSHeaderParameters, headerPart, signingInput, signature).then(() =>
      this.acceptClaims(token, header, payload, entry, easyAuth),
    );
  }

  /** After the signature: registered, declared and subject claims, the tenant; then cache and Easy Auth. */
  private acceptClaims(
    token: string,
    header: Record<string, unknown>,
    payload: Record<string, unknown>,
    entry: IssuerEntry,
    easyAuth: EasyAuthPrincipal | undefined,
  ): VerifiedToken {
    const issuer = entry.config;
    const verified = payload as JWTPayload;
    const nowSeconds = this.now() / 1000;
    checkRegisteredClaims(header, verified, issuer, entry.required, payload.iss as string, nowSeconds);
    if ((verified.iat as number) > nowSeconds + issuer.clockToleranceSeconds)
      throw new TokenError("ERR_TOKEN_NOT_YET_VALID", "the token was issued in the future");
    for (const [name, ok] of entry.declared) {
      const v = ownValue(verified, name);
      if (v !== undefined && !ok(v))
        throw new TokenError("ERR_TOKEN_CLAIMS", `claim '${name}' does not match its declaration in the policy`);
    }
    const subject = ownValue(verified, issuer.subjectClaim);
    if (typeof subject !== "string" || subject === "")
      throw new TokenError("ERR_TOKEN_CLAIMS", `claim '${issuer.subjectClaim}' must be a non-empty string`);
    if (issuer.type === "entra" && !issuer.tenants?.includes(String(verified.tid)))
      throw new TokenError("ERR_TOKEN_CLAIMS", "the token's tenant is not allowed");

    const result: VerifiedToken = { issuer: issuer.name, subject, claims: verified, expiresAt: verified.exp as number };
    if (this.seenBefore(token)) {
      this.cache.set(token, result, (verified.exp as number) * 1000);
      this.cachedPrints.add(token);
    }
    return this.agreeWithEasyAuth(result, easyAuth);
  }

  /**
   * Whether this token's fingerprint was recorded by an earlier verification (recording it if not). A false "yes"
   * (two tokens on one fingerprint) only caches a token on its first verification, as every token was before.
   */
  private seenBefore(token: string): boolean {
    const print = fingerprint(token);
    const slot = print & (SEEN_SLOTS - 1);
    if (this.seenOnce[slot] === print) return true;
    this.seenOnce[slot] = print;
    return false;
  }

  private agreeWithEasyAuth(token: VerifiedToken, easyAuth?: EasyAuthPrincipal): VerifiedToken {
    // Nothing to compare when no Easy Auth principal came with the request (local runs, the node:http adapter).
    if (easyAuth === undefined || (easyAuth.id === undefined && easyAuth.principal === undefined)) return token;
    const entry = this.byIss.get(String(token.claims.iss));
    try {
      checkEasyAuthPrincipal(easyAuth, entry!.config.subjectClaim, token.claims, Object.keys(entry!.config.claims));
    } catch (e) {
      if (e instanceof EasyAuthMismatch) throw new TokenError("ERR_EASY_AUTH_MISMATCH", e.message);
      throw e;
    }
    return token;
  }

  /**
   * An issuer's tokens share a handful of headers ({alg, kid, typ}): each distinct one is decoded and checked once.
   * Bounded, and the cached objects are frozen because every token with that header shares them.
   */
  private decodeHeader(part: string): Record<string, unknown> {
    let header = this.headers.get(part);
    if (!header) {
      header = Object.freeze(decodeSegment(part, "header"));
      if (this.headers.size >= 256) this.headers.clear();
      this.headers.set(part, header);
    }
    return header;
  }

  private signedWith(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
    try {
      return verifyJwsSignature(alg, key, signingInput, signature);
    } catch (e) {
      if (e instanceof UnusableKeyError) return false;
      throw e;
    }
  }

  /** The key from the issuer's resolver (fetching or refreshing the key set when due), then the check. */
  private async checkSignature(
    entry: IssuerEntry,
    header: JWSHeaderParameters,
    headerPart: string,
    signingInput: string,
    signature: Buffer,
  ): Promise<void> {
    const { keys } = entry;
    // jose's key set reads only the protected header (and an unprotected one, which a compact JWS has not).
    const input = { protected: headerPart, payload: "", signature: "" };
    let key: unknown;
    try {
      key = await keys.getKey(header, input);
    } catch (e) {
      // Several keys match the header (no kid, or a reused kid): try each, as jose does. Never remembered.
      if (!(e instanceof joseErrors.JWKSMultipleMatchingKeys)) throw mapJoseError(e);
      try {
        for await (const candidate of e as unknown as AsyncIterable<unknown>)
          if (candidate instanceof KeyObject && this.signedWith(header.alg!, candidate, signingInput, signature))
            return;
      } catch (e) {
        throw mapJoseError(e);
      }
      throw badSignature();
    }
    if (!(key instanceof KeyObject) || !this.signedWith(header.alg!, key, signingInput, signature))
      throw badSignature();
    if (entry.keyByHeader.size >= 256) entry.keyByHeader.clear();
    entry.keyByHeader.set(headerPart, { key, generation: keys.generation });
  }
}

/** Slots of the seen-once table (a power of two): 16 KiB, whatever the tokens' size. */
const SEEN_SLOTS = 4096;

const badSignature = () =>
  new TokenError("ERR_TOKEN_SIGNATURE", "the token's signature does not verify with the issuer's keys");

/** base64url values of the characters COMPACT_JWS admits, by char code. */
const B64URL = new Int8Array(128).fill(-1);
[..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].forEach(
  (c, i) => (B64URL[c.charCodeAt(0)] = i),
);

/**
 * Whether decoding then encoding gives back this exact text (RFC 4648 §3.5): no length that leaves a lone character,
 * and no bits set in the last character beyond the ones the data uses. The alphabet was checked by COMPACT_JWS.
 */
function isCanonicalBase64url(part: string): boolean {
  const tail = part.length % 4;
  if (tail === 1) return false;
  if (tail === 0) return true;
  const last = B64URL[part.charCodeAt(part.length - 1)];
  return (last & (tail === 2 ? 0x0f : 0x03)) === 0;
}

function decodeSegment(part: string, what: string): Record<string, unknown> {
  const text = Buffer.from(part, "base64url").toString("utf8");
  // Bytes that are not UTF-8 decode to U+FFFD; only then can re-encoding differ (a real U+FFFD re-encodes exactly).
  if (!isCanonicalBase64url(part) || (text.includes("\uFFFD") && Buffer.from(text).toString("base64url") !== part)) {
    throw new TokenError("ERR_TOKEN_MALFORMED", `the token ${what} is not base64url`);
  }
  let value: unknown;
  try {
    value = parseWithoutDuplicateKeys(text);
  } catch (e) {
    if (e instanceof DuplicateKeyError) throw new TokenError("ERR_TOKEN_MALFORMED", `the token ${what} repeats a key`);
    throw new TokenError("ERR_TOKEN_MALFORMED", `the token ${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TokenError("ERR_TOKEN_MALFORMED", `the token ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** A declared claim that is present must have its declared type, pattern and enum (conditions rely on them). */
function claimCheck(decl: CompiledIssuer["claims"][string]): (value: unknown) => boolean {
  const type = decl.type === "string[]" ? "string" : decl.type;
  // Linear time: the value comes from the caller's token (issue #19: `^(a+)+$` stalled a backtracking engine).
  const pattern = decl.pattern ? compileLinearPattern(decl.pattern) : undefined;
  const one = (x: unknown) =>
    typeof x === type && (!pattern || pattern.test(String(x))) && (!decl.enum || decl.enum.includes(x as never));
  return decl.type === "string[]" ? (v) => Array.isArray(v) && v.every(one) : one;
}

function mapJoseError(e: unknown): TokenError {
  if (e instanceof TokenError) return e;
  if (e instanceof KeysUnavailableError)
    return new TokenError("ERR_KEYS_UNAVAILABLE", "the issuer's signing keys cannot be fetched right now");
  if (e instanceof joseErrors.JWTExpired) return new TokenError("ERR_TOKEN_EXPIRED", "the token has expired");
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return new TokenError("ERR_TOKEN_NOT_YET_VALID", "the token is not valid yet");
    if (e.claim === "aud")
      return new TokenError("ERR_TOKEN_AUDIENCE", "the token is not meant for this broker (audience)");
    if (e.claim === "iss")
      return new TokenError("ERR_TOKEN_UNTRUSTED_ISSUER", "the token's issuer is not trusted by this policy");
    if (e.claim === "typ")
      return new TokenError("ERR_TOKEN_TYPE", "the token's type (typ) is not the one this issuer requires");
    return new TokenError("ERR_TOKEN_CLAIMS", `the token's claim '${e.claim}' is missing or invalid`);
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed)
    return new TokenError("ERR_TOKEN_ALGORITHM", "the token's algorithm is not allowed");
  if (
    e instanceof joseErrors.JWKSNoMatchingKey ||
    e instanceof joseErrors.JWSSignatureVerificationFailed ||
    e instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return new TokenError("ERR_TOKEN_SIGNATURE", "the token's signature does not verify with the issuer's keys");
  }
  if (e instanceof joseErrors.JOSEError) return new TokenError("ERR_TOKEN_MALFORMED", "the token cannot be verified");
  throw e;
}
