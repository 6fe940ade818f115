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
import { BackendUnavailableError, type IssuedCredential, type MintContext, type Minters } from "./mint/minter";
import { json, problem, type BrokerResponse } from "./problem";
import type { SubjectRateLimiter } from "./rate-limit";
import { SecretUnavailableError } from "./secrets";
import { TokenError, type TokenVerifier } from "./verify/verify-token";

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
  rateLimiter?: SubjectRateLimiter;
  /** @default 16384 */
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
  const maxBody = deps.maxBodyBytes ?? 16_384;
  const policy = deps.config.policyHash;
  const invalidToken = (detail: string, error = "invalid_token") =>
    problem("invalid-token", detail, { headers: { "www-authenticate": `Bearer error="${error}"` } });

  const cors = createCors(deps.config.cors?.allowedOrigins ?? []);

  async function handle(req: BrokerRequest): Promise<BrokerResponse> {
    return cors.preflight(req) ?? cors.decorate(req, await answer(req));
  }

  async function answer(req: BrokerRequest): Promise<BrokerResponse> {
    try {
      return await route(req);
    } catch (e) {
      if (e instanceof BackendUnavailableError || e instanceof SecretUnavailableError) {
        const retry = e instanceof BackendUnavailableError ? e.retryAfterSeconds : 30;
        return problem("backend-unavailable", `a backend cannot issue credentials right now (${e instanceof BackendUnavailableError ? e.backend : "configuration"})`, { headers: { "retry-after": String(retry) } });
      }
      // Nothing about the failure reaches the caller; the host logs the exception.
      return problem("internal", "the broker failed to handle this request");
    }
  }

  async function route(req: BrokerRequest): Promise<BrokerResponse> {
    if (req.path === "/api/health") return req.method === "GET" ? json(200, { status: "ok" }) : problem("method-not-allowed", "use GET", { headers: { allow: "GET" } });
    if (req.path !== "/api/token") return problem("not-found", "the broker serves /api/token and /api/health");
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
    if (!bearer) return invalidToken(auth === undefined ? "send Authorization: Bearer <token>" : "the Authorization header is not a bearer token", auth === undefined ? "invalid_request" : "invalid_token");
    let token;
    try {
      const easyAuth = { id: req.headers["x-ms-client-principal-id"], principal: req.headers["x-ms-client-principal"] };
      token = await deps.verifier.verify(bearer, easyAuth);
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      audit(record({ event: "rejected", reason: e.code }));
      if (e.code === "ERR_KEYS_UNAVAILABLE") return problem("backend-unavailable", "the token issuer's keys cannot be fetched right now", { headers: { "retry-after": "30" } });
      return invalidToken(e.message);
    }

    const wait = deps.rateLimiter?.take(`${token.issuer}|${token.subject}`) ?? 0;
    if (wait > 0) return problem("rate-limited", "slow down: this caller asks too often", { headers: { "retry-after": String(wait) } });

    let requests;
    try {
      requests = parseAccessRequests(JSON.parse(body));
    } catch (e) {
      if (e instanceof SyntaxError) return problem("bad-request", "the body is not valid JSON");
      if (e instanceof AccessRequestError) return problem("bad-request", e.message, { members: { pointer: e.pointer } });
      throw e;
    }

    const decision = evaluator.evaluate({ issuer: token.issuer, claims: token.claims }, requests);
    const base = { policy, subject: token.subject, issuer: token.issuer, roles: decision.roles };
    for (const d of decision.denied) audit(record({ ...base, event: "denied", request: d.request, type: d.type, reason: d.reason }));
    if (decision.credentials.length === 0) {
      return problem("forbidden", "the policy allows none of the requests", { members: { policy, denied: decision.denied } });
    }
    const ctx: MintContext = { subject: token.subject, issuer: token.issuer, claims: token.claims, clientIp: req.clientIp, now: now() };
    const credentials: IssuedCredential[] = [];
    for (const grant of decision.credentials) {
      const credential = await mintOne(grant, ctx);
      credentials.push(credential);
      audit(record({ ...base, event: "issued", request: grant.request, type: grant.type, scope: scopeOf(grant), access: accessOf(grant), ttlSeconds: grant.ttlSeconds, grant: grant.grant, jti: credential.jti }));
    }
    return json(200, response(decision, credentials));
  }

  async function mintOne(grant: GrantedCredential, ctx: MintContext): Promise<IssuedCredential> {
    const minter = deps.minters[grant.type] as { mint(g: GrantedCredential, c: MintContext): Promise<IssuedCredential> } | undefined;
    if (!minter) throw new BackendUnavailableError(grant.type, 60);
    return minter.mint(grant, ctx);
  }

  function record(r: Omit<AuditRecord, "at" | "policy"> & { policy?: string }): AuditRecord {
    return { at: new Date(now()).toISOString(), policy, ...r };
  }

  return { handle };
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
