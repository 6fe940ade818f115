/**
 * The broker, free of any hosting framework: (request) -> response over plain data. The Azure Functions and
 * node:http adapters only translate to and from it.
 *
 *   POST /api/token  Authorization: Bearer <JWT>  {"requests":[...]}  -> 200 {policy, subject, roles, credentials, denied}
 *   GET  /api/health -> 200 {"status":"ok" | "degraded"} (unauthenticated; never says which backend or why)
 *
 * A backend that cannot issue (down, slow past its timeout, breaker open, a secret that did not resolve) costs only
 * its own requests: when others in the same call are issued, it is listed in `denied` with reason
 * "backend-unavailable" and `retryAfterSeconds`; when nothing could be issued the answer is 503 + Retry-After.
 *
 * Order of checks: route, method, size, media type, bearer token (verified by the broker itself), rate limit,
 * request shape, policy, minting. Each failure is one problem+json answer; see README "Broker contract".
 */
import type { Span } from "@opentelemetry/api";
import { AccessRequestError, parseAccessRequests, type AccessRequest } from "../lib/policy/runtime/access-request";
import type { Decision, GrantedCredential } from "../lib/policy/runtime/evaluate";
import { createEvaluator } from "../lib/policy/runtime/evaluate";
import type { RuntimeConfig } from "../lib/policy/runtime/runtime-config";
import type { AuditRecord, AuditSink, OwnerRelation } from "./audit";
import { createCors } from "./cors";
import { createAuditClaims } from "./audit-claims";
import { BackendUnavailableError, BrokerError, SecretUnavailableError, TokenError } from "./errors";
import { identityKey } from "./identity-key";
import { CircuitBreaker, type BreakerState, type CircuitBreakerOptions } from "./mint/circuit-breaker";
import type { IssuedCredential, Minter, MintContext, Minters } from "./mint/minter";
import { answerHeaders, json, problem, type BrokerResponse } from "./problem";
import type { RateLimiter } from "./rate-limit";
import { ADMIN_REVOCATIONS_PATH } from "./revocation/admin-route";
import { lookUpOwners, usesOwners } from "./fluid-owners/owner-lookup";
import type { FluidOwnerRegistry } from "./fluid-owners/owner-registry";
import type { DocumentOwners } from "../lib/policy/runtime/document-owner";
import { FLUID_DOCUMENTS_PATH } from "./fluid-owners/registration-route";
import type { RevocationCheck } from "./revocation/revocation-check";
import { observeBreakers, telemetry, type ExchangeOutcome } from "./telemetry";
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
  /**
   * Fluid document owners (policy resources.fluid.owners): the registry the broker reads before evaluating, and the
   * registration route POST /api/fluid/documents (functions-src/fluid-owners).
   */
  fluidOwners?: {
    registry: FluidOwnerRegistry;
    register: (token: VerifiedToken, body: string) => Promise<BrokerResponse>;
  };
  /**
   * Whether the instance's shared state lets it issue as configured (the store reachable). GET /api/health folds it
   * into "ok" or "degraded"; which store, and why, goes to telemetry only (callers of health are anonymous).
   */
  health?: () => Promise<"ok" | "degraded">;
  /** Key for hashing equality-only claims in audit records (docs/replay.md). @default claims kept in clear */
  auditHashKey?: Uint8Array;
  /** @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** Per-backend circuit breakers (failure threshold, open time, call timeout). */
  breakers?: CircuitBreakerOptions;
  now?: () => number;
}

export interface Broker {
  handle(request: BrokerRequest): Promise<BrokerResponse>;
  /** Each backend's circuit-breaker state (for health, metrics and tests). */
  backendStates?(): Record<string, BreakerState>;
}

/** A request the policy allowed but whose backend could not issue now (reported per request when others succeed). */
interface UnavailableDenial {
  request: number;
  type: GrantedCredential["type"];
  reason: "backend-unavailable";
  message: string;
  retryAfterSeconds: number;
}

/** One credential as RFC 9110 section 11.4 spells it: an auth-scheme, optionally a space and a parameter-free value. */
const ONE_CREDENTIAL = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?: +[A-Za-z0-9._~+/-]+=*)?$/;
/** Request bodies seen recently, parsed and checked: repeat callers send the same few bodies again and again. */
const PARSED_BODIES_MAX = 512;
/**
 * Credentials come back from minter caches as the same objects: each is serialised once, its JSON kept on the object
 * under a symbol (JSON.stringify skips symbol keys). A WeakMap did the same but made every fresh credential an
 * ephemeron the garbage collector must trace: measured as the largest single cost of the exchange outside
 * verification (issue 12). The JSON is kept only from a credential's second answer on ("" marks the first): most
 * credentials are answered once, and keeping their JSON too doubled what each fresh exchange left for the garbage
 * collector to copy and promote (issue 17).
 */
const SERIALISED: unique symbol = Symbol("credential JSON");
type Serialisable = IssuedCredential & { [SERIALISED]?: string };
/** Marks a 200 answer in which some backend could not issue (for the exchange metric), without scanning its body. */
const PARTIAL: unique symbol = Symbol("partial answer");
type Answer = BrokerResponse & { [PARTIAL]?: true };

export function createBroker(deps: BrokerDeps): Broker & Required<Pick<Broker, "backendStates">> {
  const evaluator = createEvaluator(deps.config);
  const audit = deps.audit ?? (() => undefined);
  // Without a sink no audit record is built at all: the records were a measurable part of each exchange.
  const auditing = deps.audit !== undefined;
  const now = deps.now ?? Date.now;
  const maxBody = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  const policy = deps.config.policyHash;
  const auditClaims = createAuditClaims(deps.config, deps.auditHashKey);
  const parsedBodies = new Map<string, AccessRequest[]>();
  const breakers: Record<GrantedCredential["type"], CircuitBreaker> = {
    cosmos: new CircuitBreaker("cosmos", { ...deps.breakers }),
    cdn: new CircuitBreaker("cdn", { ...deps.breakers }),
    // Fluid tokens are an HMAC computed here: no network call to time out.
    fluid: new CircuitBreaker("fluid", { ...deps.breakers, timeoutMs: 0 }),
  };
  const backendStates = () =>
    Object.fromEntries(Object.entries(breakers).map(([name, b]) => [name, b.current])) as Record<string, BreakerState>;
  observeBreakers(backendStates);

  const cors = createCors(deps.config.cors?.allowedOrigins ?? []);
  const ownerClaim = deps.config.resources.fluidOwners?.tenantClaim;
  const owners = deps.fluidOwners && ownerClaim !== undefined && usesOwners(deps.config) ? deps.fluidOwners : undefined;

  async function handle(req: BrokerRequest): Promise<BrokerResponse> {
    const preflight = cors.preflight(req);
    if (preflight) return preflight;
    if (req.path !== "/api/token") return cors.decorate(req, await answer(req, undefined));
    const span = telemetry.startExchange();
    // `answer`, written out: one async frame and its microtask turn fewer for every exchange (issue 17).
    let response: BrokerResponse;
    try {
      response = await route(req, span);
    } catch (e) {
      response = problemFor(e);
    }
    telemetry.endExchange(span, outcomeOf(response as Answer), response.status);
    return cors.decorate(req, response);
  }

  async function answer(req: BrokerRequest, span: Span | undefined): Promise<BrokerResponse> {
    try {
      return await route(req, span);
    } catch (e) {
      return problemFor(e);
    }
  }

  async function route(req: BrokerRequest, span: Span | undefined): Promise<BrokerResponse> {
    if (req.path === "/api/health") {
      if (req.method !== "GET") return problem("method-not-allowed", "use GET", { headers: { allow: "GET" } });
      const state = deps.health ? await deps.health() : "ok";
      // One word for anonymous callers: which backend or store, and why, is never told (issue 19, class 5).
      return json(200, { status: state === "degraded" || health() === "degraded" ? "degraded" : "ok" });
    }
    const admin = req.path === ADMIN_REVOCATIONS_PATH ? deps.revocation?.admin : undefined;
    const register = req.path === FLUID_DOCUMENTS_PATH ? deps.fluidOwners?.register : undefined;
    if (req.path !== "/api/token" && !admin && !register) {
      return problem("not-found", "the broker serves /api/token and /api/health");
    }
    if (req.method !== "POST") return problem("method-not-allowed", "use POST", { headers: { allow: "POST" } });
    const body = req.body ?? "";
    if (Buffer.byteLength(body, "utf8") > maxBody)
      return problem("payload-too-large", `the body may be at most ${maxBody} bytes`);
    const media = jsonMediaType(req.headers["content-type"]);
    if (media !== "ok")
      return problem(
        "unsupported-media-type",
        media === "charset"
          ? "the body is read as UTF-8: send application/json without a charset, or with charset=utf-8"
          : "send the requests as application/json",
      );

    const auth = req.headers.authorization;
    // Two Authorization headers are ambiguous (which one did Easy Auth check?). node:http tells repeats apart; the
    // Functions host joins them with ", ", so a value made only of comma-separated credentials is a repeat too.
    if (req.repeatedHeaders?.includes("authorization") || (auth !== undefined && isJoinedRepeat(auth))) {
      const headers = { "www-authenticate": 'Bearer error="invalid_request"' };
      return problem("bad-request", "send exactly one Authorization header", { headers });
    }
    let bearer: string | undefined;
    if (auth !== undefined && auth.startsWith("Bearer ")) {
      const candidate = auth.slice(7);
      // Only a compact JWS is a token here (a JWS in JSON serialization, or anything else, is not): 401 below.
      // A token the verifier already holds passed the same check: no need to scan it again.
      if (deps.verifier.knows(candidate) || deps.verifier.isCompactJws(candidate)) bearer = candidate;
    }
    if (!bearer)
      return invalidTokenProblem(
        auth === undefined
          ? "send Authorization: Bearer <token>"
          : "the Authorization header is not a bearer token in compact JWS form",
        auth === undefined ? "invalid_request" : "invalid_token",
      );
    let token;
    try {
      const easyAuth = { id: req.headers["x-ms-client-principal-id"], principal: req.headers["x-ms-client-principal"] };
      // Synchronous unless a key set must be fetched: an `await` on a plain value would still cost microtask turns.
      const verified = deps.verifier.verifyNow(bearer, easyAuth);
      token = verified instanceof Promise ? await verified : verified;
    } catch (e) {
      if (e instanceof TokenError) {
        telemetry.rejected(e.code);
        audit(record({ event: "rejected", reason: e.code }));
      }
      throw e;
    }

    // Optional steps are awaited only when configured: even `await undefined` costs a turn of the microtask queue.
    const revoked = deps.revocation ? await deps.revocation.check(token) : undefined;
    if (revoked?.refused) {
      audit(record({ event: "rejected", subject: token.subject, issuer: token.issuer, reason: revoked.reason }));
      return revoked.refused;
    }

    const wait = deps.rateLimiter ? await deps.rateLimiter.take(identityKey(token)) : 0;
    if (wait > 0)
      return problem("rate-limited", "slow down: this caller asks too often", {
        headers: { "retry-after": String(wait) },
      });
    if (admin) return admin(token, body);
    if (register) return register(token, body);

    let requests = parsedBodies.get(body);
    if (!requests) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return problem("bad-request", "the body is not valid JSON");
      }
      requests = deepFreeze(parseAccessRequests(parsed));
      if (parsedBodies.size >= PARSED_BODIES_MAX) parsedBodies.clear();
      parsedBodies.set(body, requests);
    }

    const documentOwners = owners
      ? await lookUpOwners(owners.registry, ownerClaim!, token.claims, requests)
      : undefined;
    const decision = evaluator.evaluate({ issuer: token.issuer, claims: token.claims }, requests, documentOwners);
    const base = auditing && {
      policy,
      subject: token.subject,
      issuer: token.issuer,
      roles: decision.roles,
      ...auditClaims(token.claims),
    };
    for (const d of decision.denied) {
      telemetry.denied(d.type, d.reason);
      if (!auditing) continue;
      const asked = requests[d.request];
      audit(
        record({
          ...base,
          event: "denied",
          request: d.request,
          type: d.type,
          reason: d.reason,
          asked,
          owner: ownerRelation(owners !== undefined, documentOwners, token, asked),
        }),
      );
    }
    if (decision.credentials.length === 0) {
      return problem("forbidden", "the policy allows none of the requests", {
        members: { policy, denied: decision.denied },
      });
    }
    const ctx: MintContext = {
      subject: token.subject,
      issuer: token.issuer,
      claims: token.claims,
      clientIp: req.clientIp,
      now: now(),
    };
    // Backends are asked concurrently; one that is down costs its own requests, not the others'. A single grant
    // minted in place gives the same outcome without a promise (mintOnlyNow).
    const outcomes =
      mintOnlyNow(decision.credentials, ctx, span) ??
      (await Promise.allSettled(decision.credentials.map((grant) => mintOne(grant, ctx, span))));
    const credentials: IssuedCredential[] = [];
    const unavailable: UnavailableDenial[] = [];
    let failure: unknown;
    outcomes.forEach((outcome, i) => {
      const grant = decision.credentials[i];
      const asked = requests[grant.request];
      if (outcome.status === "fulfilled") {
        credentials.push(outcome.value);
        if (auditing) {
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
              jti: outcome.value.jti,
              asked,
              owner: ownerRelation(owners !== undefined, documentOwners, token, asked),
            }),
          );
        }
      } else if (
        outcome.reason instanceof BackendUnavailableError ||
        outcome.reason instanceof SecretUnavailableError
      ) {
        const retryAfterSeconds =
          outcome.reason instanceof BackendUnavailableError ? outcome.reason.retryAfterSeconds : 30;
        const message = `${grant.type} cannot issue credentials right now`;
        const reason = "backend-unavailable";
        unavailable.push({ request: grant.request, type: grant.type, reason, message, retryAfterSeconds });
        telemetry.denied(grant.type, reason);
        if (auditing)
          audit(
            record({
              ...base,
              event: "denied",
              request: grant.request,
              type: grant.type,
              reason,
              asked,
              owner: ownerRelation(owners !== undefined, documentOwners, token, asked),
            }),
          );
      } else failure ??= outcome.reason;
    });
    if (failure !== undefined) throw failure;
    if (credentials.length === 0) {
      // Nothing could be issued: the whole call is unavailable, and the caller retries after the longest wait.
      const retry = Math.max(...unavailable.map((u) => u.retryAfterSeconds));
      const backends = [...new Set(unavailable.map((u) => u.type))].join(", ");
      return problem("backend-unavailable", `a backend cannot issue credentials right now (${backends})`, {
        headers: { "retry-after": String(retry) },
      });
    }
    const headers = answerHeaders("application/json");
    const answer: Answer = { status: 200, headers, body: responseBody(decision, credentials, unavailable) };
    if (unavailable.length > 0) answer[PARTIAL] = true;
    return answer;
  }

  /** "degraded" when a backend's settings do not resolve or its breaker is open; never why (callers are anonymous). */
  function health(): "ok" | "degraded" {
    for (const minter of Object.values(deps.minters) as ({ probe?(): void } | undefined)[]) {
      try {
        minter?.probe?.();
      } catch {
        return "degraded";
      }
    }
    return Object.values(breakers).some((b) => b.current !== "closed") ? "degraded" : "ok";
  }

  /** Dispatch by grant type: each case hands its minter exactly the grant it is typed for. */
  function mintOne(grant: GrantedCredential, ctx: MintContext, span?: Span): Promise<IssuedCredential> {
    return span
      ? telemetry.backendCall(span, grant.type, () => breakers[grant.type].call(() => dispatch(grant, ctx)))
      : breakers[grant.type].call(() => dispatch(grant, ctx));
  }

  /**
   * What `Promise.allSettled` over `mintOne` gives for a single grant whose minter mints in place (`mintNow`, Fluid's
   * HMAC): the same breaker, telemetry and outcome, without the promises and microtask turns (issue 17). Undefined
   * otherwise. Only one grant: two grants on one backend started together make a half-open breaker's second call
   * wait for the first (its trial), which minting one after the other would not reproduce.
   */
  function mintOnlyNow(
    grants: GrantedCredential[],
    ctx: MintContext,
    span: Span | undefined,
  ): PromiseSettledResult<IssuedCredential>[] | undefined {
    if (grants.length !== 1 || !deps.minters[grants[0].type]?.mintNow) return undefined;
    const grant = grants[0];
    try {
      const value = span
        ? telemetry.backendCallNow(span, grant.type, mintThroughBreaker, grant, ctx)
        : mintThroughBreaker(grant, ctx);
      return [{ status: "fulfilled", value }];
    } catch (reason) {
      return [{ status: "rejected", reason }];
    }
  }

  /** Work and its arguments are passed apart, so that no closure is made per request. */
  function mintThroughBreaker(grant: GrantedCredential, ctx: MintContext): IssuedCredential {
    return breakers[grant.type].callNow(dispatchNow, grant, ctx);
  }

  function dispatchNow(grant: GrantedCredential, ctx: MintContext): IssuedCredential {
    switch (grant.type) {
      case "cosmos":
        return mintNowWith(deps.minters.cosmos, grant, ctx);
      case "fluid":
        return mintNowWith(deps.minters.fluid, grant, ctx);
      case "cdn":
        return mintNowWith(deps.minters.cdn, grant, ctx);
    }
  }

  /** Not async: the breaker awaits it, and turns a synchronous throw (no minter configured) into the same failure. */
  function dispatch(grant: GrantedCredential, ctx: MintContext): Promise<IssuedCredential> {
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
    return { at: isoTime(now()), policy, ...r };
  }

  return { handle, backendStates };
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

function mintNowWith<T extends GrantedCredential["type"]>(
  minter: Minter<T> | undefined,
  grant: Extract<GrantedCredential, { type: T }>,
  ctx: MintContext,
): IssuedCredential {
  if (!minter?.mintNow) throw new BackendUnavailableError(grant.type, 60);
  return minter.mintNow(grant, ctx);
}

/** What replay needs to evaluate owner-scoped grants again: the caller's relation to the owner it was judged by. */
function ownerRelation(
  ownersOn: boolean,
  documentOwners: DocumentOwners | undefined,
  token: VerifiedToken,
  asked: AccessRequest,
): OwnerRelation | undefined {
  if (!ownersOn || asked.type !== "fluid" || asked.create || !asked.documentId) return undefined;
  const o = documentOwners?.get(asked.documentId);
  if (!o) return "none";
  return o.creator === token.subject && o.issuer === token.issuer ? "creator" : "tenant";
}

/**
 * "a, b" where every part is a credential of its own: what the Functions host makes of two Authorization headers.
 * A JSON-serialized JWS also holds commas, but its parts are not credentials (they start with a quote or a brace).
 */
function isJoinedRepeat(auth: string): boolean {
  if (!auth.includes(",")) return false;
  return auth.split(",").every((part) => ONE_CREDENTIAL.test(part.trim()));
}

/**
 * "ok" for application/json with no charset or charset=utf-8 (RFC 8259 section 8.1: JSON exchanged between
 * systems is UTF-8); "charset" for any other charset, which the broker would otherwise misread as UTF-8.
 */
function jsonMediaType(value: string | undefined): "ok" | "charset" | "other" {
  // Callers send the same one or two values: the last answer is reused for the same text (issue 17).
  if (value === lastMediaValue) return lastMediaAnswer;
  lastMediaAnswer = parseJsonMediaType(value);
  lastMediaValue = value;
  return lastMediaAnswer;
}
let lastMediaValue: string | undefined = "application/json";
let lastMediaAnswer: "ok" | "charset" | "other" = "ok";

function parseJsonMediaType(value: string | undefined): "ok" | "charset" | "other" {
  const match = /^application\/json\s*(;.*)?$/i.exec(value ?? "");
  if (!match) return "other";
  for (const param of (match[1] ?? "").split(";").slice(1)) {
    const eq = param.indexOf("=");
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (name !== "charset") continue;
    const charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    if (charset !== "utf-8") return "charset";
  }
  return "ok";
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

/** toISOString costs about a microsecond; records of one request (and of a busy millisecond) share the text. */
let lastIsoMs = NaN;
let lastIso = "";
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

function outcomeOf(r: Answer): ExchangeOutcome {
  switch (r.status) {
    case 200:
      return r[PARTIAL] ? "partial" : "issued";
    case 401:
      return "rejected";
    case 403:
      return "denied";
    case 429:
      return "rate-limited";
    case 503:
      return "unavailable";
    case 500:
      return "error";
    default:
      return "bad-request";
  }
}

/** JSON.stringify({policy, subject, roles, credentials, denied}), with each credential's JSON reused when cached. */
function responseBody(decision: Decision, credentials: IssuedCredential[], unavailable: UnavailableDenial[]): string {
  const denied =
    unavailable.length === 0
      ? decision.denied
      : [...decision.denied, ...unavailable].sort((a, b) => a.request - b.request);
  let parts = "";
  for (const c of credentials as Serialisable[]) {
    if (parts !== "") parts += ",";
    const kept = c[SERIALISED];
    if (kept) parts += kept;
    else {
      const text = JSON.stringify(c);
      c[SERIALISED] = kept === undefined ? "" : text;
      parts += text;
    }
  }
  // JSON.stringify({policy, subject, roles}) with the policy's part written once per policy (both are strings).
  const head = `${policyPrefix(decision.policy)}${JSON.stringify(decision.subject)},"roles":${JSON.stringify(decision.roles)}`;
  const deniedJson = denied.length === 0 ? "[]" : JSON.stringify(denied);
  return `${head},"credentials":[${parts}],"denied":${deniedJson}}`;
}

let lastPolicy: string | undefined;
let lastPolicyPrefix = "";
function policyPrefix(policy: string): string {
  if (policy !== lastPolicy) {
    lastPolicy = policy;
    lastPolicyPrefix = `{"policy":${JSON.stringify(policy)},"subject":`;
  }
  return lastPolicyPrefix;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
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
