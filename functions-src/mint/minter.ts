/** What every backend's minter offers the core. A minter turns one evaluated grant into a credential. */
import type { GrantedCredential } from "../../lib/policy/runtime/evaluate";

export interface MintContext {
  subject: string;
  issuer: string;
  claims: Readonly<Record<string, unknown>>;
  /** The caller's IP from the trusted forwarded-for chain, for grants bound to it. */
  clientIp?: string;
  /** Unix milliseconds. */
  now: number;
}

/** A credential as returned to the caller: what it is scoped to, the token or URL, and when it expires. */
export type IssuedCredential = { type: GrantedCredential["type"]; expiresAt: string; jti?: string } & Record<
  string,
  unknown
>;

export interface Minter<T extends GrantedCredential["type"]> {
  mint(grant: Extract<GrantedCredential, { type: T }>, ctx: MintContext): Promise<IssuedCredential>;
  /**
   * The same credential as `mint`, returned at once, for a backend that needs no I/O (Fluid's HMAC): it throws what
   * `mint` would reject with. The core prefers it, sparing each exchange the promises and microtask turns of the
   * asynchronous path (issue 17). A minter that wraps another must offer it only if the wrapper's work is in it too.
   */
  mintNow?(grant: Extract<GrantedCredential, { type: T }>, ctx: MintContext): IssuedCredential;
  /** Throws when this backend's settings cannot be used now (an unresolved Key Vault reference): for health. */
  probe?(): void;
}

export type Minters = { [T in GrantedCredential["type"]]?: Minter<T> };

export { BackendUnavailableError } from "../errors";
