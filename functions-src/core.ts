/**
 * The broker, free of any hosting framework: (request) -> response over plain data. The Azure Functions and
 * node:http adapters only translate to and from it.
 *
 *   POST /api/token  Authorization: Bearer <JWT>  {"requests":[...]}  -> 200 {policy, subject, roles, credentials, denied}
 *   GET  /api/health -> 200 {"status":"ok"} (unauthenticated; reveals nothing)
 *
 * Order of checks: route, method, size, media type, bearer token (verified by the broker itself), rate limit,
 * request shape, policy, minting. Each failure is one problem+json answer; see README "Broker contract".
 */
import { AccessRequestError, parseAccessRequests } from "../lib/policy/runtime/access-request";
import type { Decision, GrantedCredential } from "../lib/policy/runtime/evaluate";
import { createEvaluator } from "../lib/policy/runtime/evaluate";
import type { RuntimeConfig } from "../lib/policy/runtime/runtime-config";
import type { AuditRecord, AuditSink } from "./audit";
import { createCors } from "./cors";
import { createAuditClaims } from "./audit-claims";
import { BackendUnavailableError, BrokerError, SecretUnavailableError, TokenError } from "./errors";
import { identityKey } from "./identity-key";
import type { IssuedCredential, Minter, MintContext, Minters } from "./mint/minter";
import { json, problem, type BrokerResponse } from "./problem";
import type { RateLimiter } from "./rate-limit";
import { ADMIN_REVOCATIONS_PATH } from "./revocation/admin-route";
import type { RevocationCheck } from "./revocation/revocation-check";
import type { TokenVerifier, VerifiedToken } from "./verify/verify-token";

/** The largest request body the broker reads; the adapters stop reading past it too. */
export const MAX_BODY_BYTES = 16_384;

export interface BrokerRequest {
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  body?: string;
  /**
   * Lower-case names of headers that arrived more than once, when the adapter can tell (node:http can; the Functions
   * host joins repeats into one value with commas, which the core refuses for Authorization).
   */
  repeatedHeaders?: readonly string[];
  /** The caller's IP as the adapter determined it from the trusted proxy chain. */
  clientIp?: string;
}

export interface BrokerDeps {
  config: RuntimeConfig;
  verifier: TokenVerifier;
  minters: Minters;
  audit?: AuditSink;
  rateLimiter?: RateLimiter;
  /** Present when the policy turns revocation on: the per-request check and the admin route. */
  revocation?: { check: RevocationCheck; admin?: (token: VerifiedToken, body: string) => Promise<BrokerResponse> };
  /** Extra members for GET /api/health (the store's kind and reachability, onStoreDown); never a secret. */
  health?: () => Promise<Record<string, unknown>>;
  /** Key for hashing equality-only claims in audit records (docs/replay.md). @default claims kept in clear */
  auditHashKey?: Uint8Array;
  /** @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
  now?: () => number;
}

export interface Broker {
  handle(request: BrokerRequest): Promise<BrokerResponse>;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

export function createBroker(deps: BrokerDeps): Broker {
  const evaluator = createEvaluator(deps.config);
  const audit = deps.audit ?? (() => undefined);
  const now = deps.now ?? Date.now;
  const maxBody = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  const policy = deps.config.policyHash;
  const auditClaims = createAuditClaims(deps.config, deps.auditHashKey);

  const cors = createCors(deps.config.cors?.allowedOrigins ?? []);

  async function handle(req: BrokerRequest): Promise<BrokerResponse> {
    return cors.preflight(req) ?? cors.decorate(req, await answer(req));
  }

  async function answer(req: BrokerRequest): Promise<BrokerResponse> {
    try {
      return await route(req);
    } catch (e) {
      return problemFor(e);
    }
  }

  async function route(req: BrokerRequest): Promise<BrokerResponse> {
    if (req.path === "/api/health") {
      if (req.method !== "GET") return problem("method-not-allowed", "use GET", { headers: { allow: "GET" } });
      return json(200, { status: "ok", ...(await deps.health?.()) });
    }
    const admin = req.path === ADMIN_REVOCATIONS_PATH ? deps.revocation?.admin : undefined;
    if (req.path !== "/api/token" && !admin) {
      return problem("not-found", "the broker serves /api/token and /api/health");
    }
    if (req.method !== "POST") return problem("method-not-allowed", "use POST", { headers: { allow: "POST" } });
    const body = req.body ?? "";
    if (Buffer.byteLength(body, "utf8") > maxBody) return problem("payload-too-large", `the body may be at most ${maxBody} bytes`);
    if (!/^application\/json(\s*;.*)?$/i.test(req.headers["content-type"] ?? "")) return problem("unsupported-media-type", "send the requests as application/json");

    const auth = req.headers.authorization;
    // Two Authorization headers are ambiguous (which one did Easy Auth check?). A bearer credential never holds a
    // comma (RFC 6750 b64token), so a comma is what a joined repeat looks like.
    if (req.repeatedHeaders?.includes("authorization") || auth?.includes(",")) {
      const headers = { "www-authenticate": 'Bearer error="invalid_request"' };
      return problem("bad-request", "send exactly one Authorization header", { headers });
    }
    const bearer = auth === undefined ? undefined : BEARER.exec(auth)?.[1];
    if (!bearer) return invalidTokenProblem(auth === undefined ? "send Authorization: Bearer <token>" : "the Authorization header is not a bearer token", auth === undefined ? "invalid_request" : "invalid_token");
    let token;
    try {
      const easyAuth = { id: req.headers["x-ms-client-principal-id"], principal: req.headers["x-ms-client-principal"] };
      token = await deps.verifier.verify(bearer, easyAuth);
    } catch (e) {
      if (e instanceof TokenError) audit(record({ event: "rejected", reason: e.code }));
      throw e;
    }

    const revoked = await deps.revocation?.check(token);
    if (revoked?.refused) {
      audit(record({ event: "rejected", subject: token.subject, issuer: token.issuer, reason: revoked.reason }));
      return revoked.refused;
    }

    const wait = (await deps.rateLimiter?.take(identityKey(token))) ?? 0;
    if (wait > 0) return problem("rate-limited", "slow down: this caller asks too often", { headers: { "retry-after": String(wait) } });
    if (admin) return admin(token, body);

    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return problem("bad-request", "the body is not valid JSON");
    }
    const requests = parseAccessRequests(parsed);

    const decision = evaluator.evaluate({ issuer: token.issuer, claims: token.claims }, requests);
    const base = {
      policy,
      subject: token.subject,
      issuer: token.issuer,
      roles: decision.roles,
      ...auditClaims(token.claims),
    };
    for (const d of decision.denied) {
      const asked = requests[d.request];
      audit(record({ ...base, event: "denied", request: d.request, type: d.type, reason: d.reason, asked }));
    }
    if (decision.credentials.length === 0) {
      return problem("forbidden", "the policy allows none of the requests", { members: { policy, denied: decision.denied } });
    }
    const ctx: MintContext = { subject: token.subject, issuer: token.issuer, claims: token.claims, clientIp: req.clientIp, now: now() };
    const credentials: IssuedCredential[] = [];
    for (const grant of decision.credentials) {
      const credential = await mintOne(grant, ctx);
      credentials.push(credential);
      audit(
        record({
          ...base,
          event: "issued",
          request: grant.request,
          type: grant.type,
          scope: scopeOf(grant),
          access: accessOf(grant),
          ttlSeconds: grant.ttlSeconds,
          grant: grant.grant,
          jti: credential.jti,
          asked: requests[grant.request],
        }),
      );
    }
    return json(200, response(decision, credentials));
  }

  /** Dispatch by grant type: each case hands its minter exactly the grant it is typed for. */
  function mintOne(grant: GrantedCredential, ctx: MintContext): Promise<IssuedCredential> {
    switch (grant.type) {
      case "cosmos":
        return mintWith(deps.minters.cosmos, grant, ctx);
      case "fluid":
        return mintWith(deps.minters.fluid, grant, ctx);
      case "cdn":
        return mintWith(deps.minters.cdn, grant, ctx);
    }
  }

  function record(r: Omit<AuditRecord, "at" | "policy"> & { policy?: string }): AuditRecord {
    return { at: new Date(now()).toISOString(), policy, ...r };
  }

  return { handle };
}

function mintWith<T extends GrantedCredential["type"]>(
  minter: Minter<T> | undefined,
  grant: Extract<GrantedCredential, { type: T }>,
  ctx: MintContext,
): Promise<IssuedCredential> {
  // A backend the policy grants but this deployment does not configure: unavailable, not an internal error.
  if (!minter) throw new BackendUnavailableError(grant.type, 60);
  return minter.mint(grant, ctx);
}

function invalidTokenProblem(detail: string, error = "invalid_token"): BrokerResponse {
  return problem("invalid-token", detail, { headers: { "www-authenticate": `Bearer error="${error}"` } });
}

/**
 * The one mapping from errors to HTTP answers: the broker's error family by code, and the policy runtime's
 * AccessRequestError (it lives beside the request parser, which the CLI uses too). Anything else is a 500 whose
 * answer says nothing about the failure; the host logs the exception.
 */
export function problemFor(e: unknown): BrokerResponse {
  if (e instanceof AccessRequestError) return problem("bad-request", e.message, { members: { pointer: e.pointer } });
  if (!(e instanceof BrokerError)) return problem("internal", "the broker failed to handle this request");
  if (e.code === "ERR_KEYS_UNAVAILABLE") {
    return problem("backend-unavailable", "the token issuer's keys cannot be fetched right now", {
      headers: { "retry-after": "30" },
    });
  }
  if (e instanceof TokenError) return invalidTokenProblem(e.message);
  const unavailable = (what: string, retryAfterSeconds: number) =>
    problem("backend-unavailable", `a backend cannot issue credentials right now (${what})`, {
      headers: { "retry-after": String(retryAfterSeconds) },
    });
  if (e instanceof BackendUnavailableError) return unavailable(e.backend, e.retryAfterSeconds);
  if (e instanceof SecretUnavailableError) return unavailable("configuration", 30);
  return problem("internal", "the broker failed to handle this request");
}

function response(decision: Decision, credentials: IssuedCredential[]) {
  return { policy: decision.policy, subject: decision.subject, roles: decision.roles, credentials, denied: decision.denied };
}

function scopeOf(g: GrantedCredential): string {
  if (g.type === "cosmos") return `${g.database}/${g.container}${g.partitionKey === null ? "" : `[${g.partitionKey}]`}`;
  if (g.type === "fluid") return g.documentId === "" ? "(new document)" : g.documentId;
  return g.path;
}

function accessOf(g: GrantedCredential): string {
  if (g.type === "cosmos") return g.access;
  if (g.type === "fluid") return g.scopes.join(" ");
  return "read";
}
