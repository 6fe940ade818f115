/**
 * The broker's errors, one family (as jose does it): every error the broker raises on purpose is a BrokerError with
 * a stable `code`. Callers branch on the code, never on the message; core.ts maps codes to HTTP once, at the edge.
 * No message carries a token, a claim value, a key or a secret.
 */
export abstract class BrokerError extends Error {
  abstract readonly code: string;
}

export type TokenErrorCode =
  | "ERR_TOKEN_MALFORMED"
  | "ERR_TOKEN_TOO_LARGE"
  | "ERR_TOKEN_HEADER" // a header parameter we refuse (jku, x5u, jwk, x5c, crit, b64)
  | "ERR_TOKEN_ALGORITHM"
  | "ERR_TOKEN_UNTRUSTED_ISSUER"
  | "ERR_TOKEN_SIGNATURE"
  | "ERR_TOKEN_EXPIRED"
  | "ERR_TOKEN_NOT_YET_VALID"
  | "ERR_TOKEN_AUDIENCE"
  | "ERR_TOKEN_TYPE"
  | "ERR_TOKEN_CLAIMS"
  | "ERR_EASY_AUTH_MISMATCH"
  | "ERR_KEYS_UNAVAILABLE";

/** The caller's bearer token is refused (401), or its issuer's keys cannot be had (ERR_KEYS_UNAVAILABLE, 503). */
export class TokenError extends BrokerError {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "TokenError";
  }
}

/** An issuer's signing keys cannot be fetched and none are cached; the verifier turns it into a TokenError. */
export class KeysUnavailableError extends BrokerError {
  readonly code = "ERR_KEYS_UNAVAILABLE";
  constructor(
    readonly issuer: string,
    reason: string,
  ) {
    super(`signing keys of ${issuer} are unavailable: ${reason}`);
    this.name = "KeysUnavailableError";
  }
}

/** A backend (Cosmos, storage, a key) cannot be reached or used now: the broker answers 503 with Retry-After. */
export class BackendUnavailableError extends BrokerError {
  readonly code = "ERR_BACKEND_UNAVAILABLE";
  constructor(
    readonly backend: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(`${backend} is unavailable`);
    this.name = "BackendUnavailableError";
  }
}

/**
 * A secret setting is missing, or its Key Vault reference did not resolve (App Service then passes the literal
 * reference text; learn.microsoft.com/azure/app-service/app-service-key-vault-references): 503, never a signing key.
 */
export class SecretUnavailableError extends BrokerError {
  readonly code = "ERR_SECRET_UNAVAILABLE";
  constructor(readonly setting: string) {
    // Names the setting only, never its value.
    super(`secret setting ${setting} is missing or its Key Vault reference did not resolve`);
    this.name = "SecretUnavailableError";
  }
}
