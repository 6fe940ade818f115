/**
 * Signing keys of one issuer, from OIDC discovery: the discovery document names jwks_uri, the JWKS holds the keys.
 * - Cached across requests (`cacheSeconds`), refreshed in the background of the next request after that.
 * - An unknown `kid` triggers one refresh, then a cool-down (`cooldownSeconds`), so forged kids cannot make us
 *   hammer the issuer.
 * - When the issuer is unreachable, cached keys keep serving (up to `maxStaleSeconds`): an outage at the IdP must
 *   not take the broker down for tokens it can still verify.
 * - Only https (or http on loopback, for local runs) is fetched, and discovery must name the same issuer.
 */
import { telemetry } from "../telemetry";
import {
  createLocalJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type KeyLike,
  type FlattenedJWSInput,
} from "jose";

import { isHttpsOrLoopbackHttp } from "../../lib/policy/runtime/loopback";
import { KeysUnavailableError } from "../errors";

export interface IssuerKeysOptions {
  cacheSeconds?: number;
  cooldownSeconds?: number;
  maxStaleSeconds?: number;
  timeoutMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

export { KeysUnavailableError } from "../errors";

type Resolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike | Uint8Array>;

export class IssuerKeys {
  private resolver?: Resolver;
  private fetchedAt = -Infinity;
  private inFlight?: Promise<void>;
  private jwksUri?: string;
  private readonly o: Required<IssuerKeysOptions>;
  /** Fetches made, for tests and metrics. */
  fetches = 0;
  /** Bumped whenever a fetched key set replaces the previous one: keys remembered from an older set are stale. */
  generation = 0;

  constructor(
    readonly issuer: string,
    private readonly discoveryUrl: string,
    options: IssuerKeysOptions = {},
  ) {
    this.o = {
      cacheSeconds: 600,
      cooldownSeconds: 30,
      maxStaleSeconds: 86400,
      timeoutMs: 3000,
      now: Date.now,
      ...options,
    };
    assertFetchable(discoveryUrl);
  }

  /** Whether the cached key set is within `cacheSeconds` of its fetch, so a lookup would not refresh it. */
  fresh(): boolean {
    return this.resolver !== undefined && this.o.now() - this.fetchedAt <= this.o.cacheSeconds * 1000;
  }

  /** A key resolver for jose's jwtVerify. */
  readonly getKey: Resolver = async (header, token) => {
    const age = (this.o.now() - this.fetchedAt) / 1000;
    if (!this.resolver || age > this.o.cacheSeconds) await this.refresh(!this.resolver || age > this.o.maxStaleSeconds);
    try {
      return await this.resolver!(header, token);
    } catch (e) {
      if (
        !(e instanceof joseErrors.JWKSNoMatchingKey) ||
        (this.o.now() - this.fetchedAt) / 1000 < this.o.cooldownSeconds
      )
        throw e;
      // An unknown kid after the cool-down: the issuer may have rotated. Fetch once more.
      await this.refresh(false);
      return this.resolver!(header, token);
    }
  };

  /** `required`: no usable cached keys, so a failure is an error rather than a reason to keep the stale ones. */
  private async refresh(required: boolean): Promise<void> {
    this.inFlight ??= this.fetchKeys()
      .then(
        () => telemetry.jwksRefresh(true),
        (e: unknown) => {
          telemetry.jwksRefresh(false);
          throw e;
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    try {
      await this.inFlight;
    } catch (e) {
      if (required || !this.resolver) throw new KeysUnavailableError(this.issuer, (e as Error).message);
      // Keep serving the cached keys; try again after the cool-down rather than on every request.
      this.fetchedAt = this.o.now() - (this.o.cacheSeconds - this.o.cooldownSeconds) * 1000;
    }
  }

  private async fetchKeys(): Promise<void> {
    if (!this.jwksUri) {
      const discovery = (await this.getJson(this.discoveryUrl)) as { issuer?: unknown; jwks_uri?: unknown };
      if (discovery.issuer !== this.issuer) throw new Error("the discovery document names a different issuer");
      if (typeof discovery.jwks_uri !== "string") throw new Error("the discovery document has no jwks_uri");
      assertFetchable(discovery.jwks_uri);
      this.jwksUri = discovery.jwks_uri;
    }
    const jwks = (await this.getJson(this.jwksUri)) as JSONWebKeySet;
    if (!jwks || !Array.isArray(jwks.keys)) throw new Error("the JWKS has no keys array");
    // Public keys only: a JWKS that publishes private key material is misconfigured, and none of it is used.
    const keys = jwks.keys.filter(
      (k) => typeof k === "object" && k !== null && !("d" in k) && ["RSA", "EC", "OKP"].includes(String(k.kty)),
    );
    this.resolver = createLocalJWKSet({ keys }) as Resolver;
    this.generation++;
    this.fetchedAt = this.o.now();
  }

  private async getJson(url: string): Promise<unknown> {
    const deadline = AbortSignal.timeout(this.o.timeoutMs);
    let res: Response;
    try {
      res = await this.get(url, deadline);
    } catch (e) {
      // A pooled keep-alive connection the issuer closed just as it was reused fails before any byte of an answer
      // (undici: "fetch failed", cause ECONNRESET / "other side closed"). A GET is safe to send again, once, on a new
      // connection and within the same deadline; a timeout or a refusal to connect is not retried.
      if (deadline.aborted || !connectionDropped(e)) throw e;
      res = await this.get(url, deadline);
    }
    if (!res.ok) throw new Error(`${new URL(url).pathname} answered ${res.status}`);
    const text = await res.text();
    if (text.length > 512 * 1024) throw new Error("the response is too large");
    return JSON.parse(text);
  }

  private get(url: string, signal: AbortSignal): Promise<Response> {
    this.fetches++;
    return fetch(url, { signal, redirect: "error", headers: { accept: "application/json" } });
  }
}

const DROPPED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

/** Whether a fetch failed because an established connection went away (not a timeout, refusal or bad address). */
function connectionDropped(e: unknown): boolean {
  const cause = (e as { cause?: { code?: unknown } } | undefined)?.cause;
  // By name, not instanceof: fetch's TypeError may come from another realm than this module's (jest's vm contexts).
  return (e as Error | undefined)?.name === "TypeError" && typeof cause?.code === "string" && DROPPED.has(cause.code);
}

function assertFetchable(url: string): void {
  const u = new URL(url);
  if (!isHttpsOrLoopbackHttp(u)) throw new Error(`refusing to fetch keys over ${u.protocol} from ${u.host}`);
}
