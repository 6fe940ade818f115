/**
 * `policy replay`: re-evaluates recorded exchanges under the base and the head policy with the runtime evaluator
 * (the broker's own), and groups the differences by role, backend and access: which real callers would gain or
 * lose what. Replay compares what each recorded request would get, so a grant widened beyond what anyone asked for
 * shows in `policy diff`, not here.
 */
import { ownValue } from "../runtime/own";
import { readFileSync } from "node:fs";
import { compilePolicy } from "../authoring/compile";
import { formatDuration } from "../authoring/duration";
import { representativeEnvironments } from "../authoring/environments";
import type { CheckedPolicy } from "../authoring/checked-policy";
import { AccessRequestError, parseAccessRequests, type AccessRequest } from "../runtime/access-request";
import { claimsReadByRole, hashClaimValue, type ClaimUse } from "../runtime/claims-read";
import { createEvaluator, type Evaluator, type GrantedCredential } from "../runtime/evaluate";
import type { DocumentOwners } from "../runtime/document-owner";
import type { CompiledCondition, RuntimeConfig } from "../runtime/runtime-config";
import { forEachAuditRecord, type ReplayableRecord } from "./audit-log";
import { renderTemplate } from "./render";
import {
  MAX_MALFORMED_LINES,
  MAX_SUBJECTS,
  type AccessChangeGroup,
  type ClaimGap,
  type ReplayReport,
  type UndecidedRole,
} from "./replay-report";

export interface ReplayOptions {
  /** Environment whose compiled policies are compared. @default the one whose base hash the records carry */
  environment?: string;
  /** The broker's audit hash key, when its records hash equality-only claims. */
  hashKey?: Uint8Array;
  source?: string;
}

export class ReplayError extends Error {}

export function replayFile(
  path: string,
  base: CheckedPolicy,
  head: CheckedPolicy,
  options: ReplayOptions = {},
): ReplayReport {
  return replayText(readFileSync(path, "utf8"), base, head, { source: path, ...options });
}

type Outcome = { granted: GrantedCredential; role: string } | { denied: string };

export function replayText(
  text: string,
  base: CheckedPolicy,
  head: CheckedPolicy,
  options: ReplayOptions = {},
): ReplayReport {
  const environment = options.environment ?? environmentOf(base, text);
  const baseConfig = compilePolicy(base, environment).config;
  const headConfig = compilePolicy(head, environment).config;
  const before = evaluatorFor(baseConfig, options.hashKey);
  const after = evaluatorFor(headConfig, options.hashKey);
  const cdnPrefixes = new Map<string, string>();
  for (const c of [baseConfig, headConfig]) {
    for (const r of c.roles) {
      for (const g of r.grants) if (g.type === "cdn") cdnPrefixes.set(g.id, renderTemplate(g.prefix));
    }
  }
  const gains = new Groups();
  const losses = new Groups();
  const undecided = new Undecided();
  const gapsOf = claimGaps(baseConfig, headConfig);
  // Real logs repeat the same caller asking the same thing: evaluate and compare each distinct exchange once, then
  // only count the subject per record. Distinct exchanges are kept per subject and compared structurally, which
  // allocates nothing per record (serializing a key per record cost more than evaluating).
  // subject -> the request's resource (container, document id, path) -> exchanges seen: lookups with strings the
  // record already holds, so the common case compares one small entry.
  const seen = new Map<
    string,
    Map<unknown, { record: ReplayableRecord; changes: Change[] | null; gaps: Map<string, Map<string, ClaimGap>> }[]>
  >();
  const gaining = new Set<string>();
  const losing = new Set<string>();
  let replayed = 0;
  let notReplayable = 0;
  const log = forEachAuditRecord(text, (r) => {
    let bySubject = seen.get(r.subject);
    if (!bySubject) seen.set(r.subject, (bySubject = new Map()));
    const resource = resourceOf(r.asked);
    let known = bySubject.get(resource);
    if (!known) bySubject.set(resource, (known = []));
    let entry = known.find((k) => sameExchange(k.record, r));
    if (!entry) {
      const pair = evaluatePair(r, before, after, options.hashKey);
      const gaps = pair === null ? new Map<string, Map<string, ClaimGap>>() : gapsOf(r);
      // A change through a role replay cannot decide for this exchange is not a finding, in either direction.
      const changes = pair === null ? null : compare(pair[0], pair[1], cdnPrefixes).filter((c) => !gaps.has(c.role));
      entry = { record: r, changes, gaps };
      known.push(entry);
    }
    if (entry.changes === null) {
      notReplayable++;
      return;
    }
    replayed++;
    for (const c of entry.changes) {
      (c.gain ? gains : losses).add(c.role, c.backend, c.what, r.subject);
      (c.gain ? gaining : losing).add(r.subject);
    }
    for (const [role, claims] of entry.gaps) undecided.add(role, claims, r.subject);
  });
  const skipped = log.skipped + notReplayable;
  return {
    source: options.source ?? "(log)",
    environment,
    records: log.records,
    replayed,
    malformed: { count: log.malformedLines.length, lines: log.malformedLines.slice(0, MAX_MALFORMED_LINES) },
    skipped,
    gains: gains.list(),
    losses: losses.list(),
    callersGaining: gaining.size,
    callersLosing: losing.size,
    cannotTell: undecided.list(),
  };
}

/**
 * Which roles replay cannot decide for a record, and why: a role of either policy that could answer the request
 * reads a claim the record does not hold. A record keeps exactly the claims its own policy read
 * (functions-src/audit-claims.ts), so a claim only the head reads (a new role's `groups`) was never recorded, and a
 * missing value would be evaluated as "absent": replay would say nobody gains when it cannot know (issue 19.6).
 * A claim the record holds is known; so is the absence of one its policy read (base or head, by hash): the token
 * did not carry it. For a record of any other policy version, only the claims present in the record count as kept.
 * A claim recorded as a keyed hash can still be compared for equality, but not read as a value (`prefix`, `glob`,
 * a template).
 */
function claimGaps(base: RuntimeConfig, head: RuntimeConfig) {
  interface RoleReads {
    name: string;
    issuers: string[] | null;
    backends: Set<string>;
    reads: Map<string, ClaimUse>;
    /** A Fluid grant scoped by owner: it needs the recorded owner of the document asked for. */
    byOwner: boolean;
  }
  const roles: RoleReads[] = [base, head].flatMap((c) =>
    c.roles.map((r) => ({
      name: r.name,
      issuers: r.issuers,
      backends: new Set(r.grants.map((g) => g.type)),
      reads: claimsReadByRole(r, c.resources.fluidOwners?.tenantClaim),
      byOwner: r.grants.some((g) => g.type === "fluid" && g.owner !== undefined),
    })),
  );
  const keptBy = new Map<string, Set<string>>();
  for (const c of [base, head]) {
    const kept = new Set(c.roles.flatMap((r) => [...claimsReadByRole(r, c.resources.fluidOwners?.tenantClaim).keys()]));
    for (const i of c.issuers) kept.add(i.subjectClaim); // replay restores the subject from the record
    keptBy.set(c.policyHash, kept);
  }
  const subjects = [base, head].flatMap((c) => c.issuers.map((i) => [i.name, i.subjectClaim] as const));
  return (r: ReplayableRecord): Map<string, Map<string, ClaimGap>> => {
    const byPolicy = r.policy !== undefined ? keptBy.get(r.policy) : undefined;
    const kept = new Set([
      ...(byPolicy ?? []),
      ...Object.keys(r.claims),
      ...subjects.filter(([i]) => i === r.issuer).map(([, s]) => s),
    ]);
    const gaps = new Map<string, Map<string, ClaimGap>>();
    // Records written while no grant was owner-scoped (a base with `documents: "*"`) do not say who owns the
    // document: an owner-scoped role of the head cannot be evaluated for them.
    const ownerUnknown = r.asked.type === "fluid" && !r.asked.create && !!r.asked.documentId && r.owner === undefined;
    for (const role of roles) {
      if (!role.backends.has(r.asked.type) || (role.issuers !== null && !role.issuers.includes(r.issuer))) continue;
      if (ownerUnknown && role.byOwner) {
        let claims = gaps.get(role.name);
        if (!claims) gaps.set(role.name, (claims = new Map()));
        claims.set(OWNER_GAP, "not recorded");
      }
      for (const [claim, use] of role.reads) {
        const gap: ClaimGap | undefined = !kept.has(claim)
          ? "not recorded"
          : use === "value" && r.hashed.includes(claim)
            ? "recorded as a keyed hash"
            : undefined;
        if (!gap) continue;
        let claims = gaps.get(role.name);
        if (!claims) gaps.set(role.name, (claims = new Map()));
        claims.set(claim, gap);
      }
    }
    return gaps;
  };
}

/** The key under which a role's gaps hold "the document's owner was not recorded" (no claim has this name). */
const OWNER_GAP = "\u0000owner";

function resourceOf(asked: Record<string, unknown>): unknown {
  return asked.container ?? asked.documentId ?? asked.path;
}

/** Issuer, recording policy, claims, request and hashing all equal: the evaluator would answer the same. */
function sameExchange(a: ReplayableRecord, b: ReplayableRecord): boolean {
  return (
    a.issuer === b.issuer &&
    a.policy === b.policy &&
    a.owner === b.owner &&
    sameJson(a.claims, b.claims) &&
    sameJson(a.asked, b.asked) &&
    sameJson(a.hashed, b.hashed)
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!sameJson(ownValue(a as Record<string, unknown>, k), ownValue(b as Record<string, unknown>, k))) return false;
  }
  return true;
}

/** Policy hashes in the first records, matched in the raw text (also inside an escaped AppTraces `Message`). */
const POLICY_HASH = /policy\\?":\\?"(sha256:[0-9a-f]{64})/g;
const HASH_SAMPLE = 10_000;

/** The environment whose compiled base policy has the hash most (sampled) records carry. */
function environmentOf(base: CheckedPolicy, text: string): string {
  const counts = new Map<string, number>();
  let n = 0;
  for (const m of text.matchAll(POLICY_HASH)) {
    counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
    if (++n >= HASH_SAMPLE) break;
  }
  const byHash = new Map(
    representativeEnvironments(base.environments.entries).map((e) => [
      compilePolicy(base, e.name).config.policyHash,
      e.name,
    ]),
  );
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  for (const [hash] of ranked) if (byHash.has(hash)) return byHash.get(hash)!;
  throw new ReplayError(
    "cannot tell which environment the log comes from (no record carries a base policy hash); pass --env <name>",
  );
}

interface HashedEvaluator {
  /** Issuer name -> the claim that holds the subject (the record keeps the subject beside the claims). */
  subjectClaims: Map<string, string>;
  /** The claim owner-scoped Fluid grants compare with a document's owner (resources.fluid.owners.tenant). */
  tenantClaim?: string;
  plain: Evaluator;
  /** For records whose claims are hashed: the same policy with the literals of equality tests hashed. */
  hashed?: Evaluator;
}

function evaluatorFor(config: RuntimeConfig, key?: Uint8Array): HashedEvaluator {
  const subjectClaims = new Map(config.issuers.map((i) => [i.name, i.subjectClaim]));
  return {
    subjectClaims,
    tenantClaim: config.resources.fluidOwners?.tenantClaim,
    plain: createEvaluator(config),
    hashed: key ? createEvaluator(hashLiterals(config, key)) : undefined,
  };
}

/** Every literal compared for equality, hashed; the role index is dropped (its keys are plain values). */
function hashLiterals(config: RuntimeConfig, key: Uint8Array): RuntimeConfig {
  const h = (v: unknown) => hashClaimValue(key, v);
  const walk = (c: CompiledCondition): CompiledCondition => {
    switch (c.op) {
      case "all":
      case "any":
        return { op: c.op, of: c.of.map(walk) };
      case "not":
        return { op: "not", of: walk(c.of) };
      case "equals":
      case "contains":
        return { ...c, value: h(c.value) };
      case "in":
        return { ...c, values: c.values.map(h) };
      default:
        return c;
    }
  };
  const roles = config.roles.map((r) => ({ ...r, when: walk(r.when) }));
  return { ...config, roles, index: { byClaim: {}, unindexed: roles.map((_, i) => i) } };
}

function evaluatePair(
  r: ReplayableRecord,
  before: HashedEvaluator,
  after: HashedEvaluator,
  key?: Uint8Array,
): [Outcome, Outcome] | null {
  if (r.hashed.length > 0 && !key) return null;
  let asked: AccessRequest;
  try {
    asked = parseAccessRequests({ requests: [r.asked] })[0];
  } catch (e) {
    if (e instanceof AccessRequestError) return null;
    throw e;
  }
  const pick = (e: HashedEvaluator) => (r.hashed.length > 0 ? e.hashed! : e.plain);
  return [outcome(before, pick(before), r, asked), outcome(after, pick(after), r, asked)];
}

function outcome(h: HashedEvaluator, e: Evaluator, r: ReplayableRecord, asked: AccessRequest): Outcome {
  const subjectClaim = h.subjectClaims.get(r.issuer);
  const claims = subjectClaim ? { ...r.claims, [subjectClaim]: r.subject } : r.claims;
  const d = e.evaluate({ issuer: r.issuer, claims }, [asked], recordedOwners(r, asked, h.tenantClaim, claims));
  const g = d.credentials[0];
  return g ? { granted: g, role: g.grant.split("#")[0] } : { denied: d.denied[0]?.reason ?? "not-granted" };
}

/**
 * The owner the broker judged the request by, rebuilt from the record's relation to the caller: a record of `tenant`
 * or `creator` means the owner holds the caller's tenant value (the broker only reads the caller's tenant), and
 * `creator` that the caller created it. The creator of a `tenant` record is nobody this record names (subjects are
 * never empty).
 */
function recordedOwners(
  r: ReplayableRecord,
  asked: AccessRequest,
  tenantClaim: string | undefined,
  claims: Record<string, unknown>,
): DocumentOwners | undefined {
  if (r.owner === undefined || asked.type !== "fluid" || !asked.documentId || tenantClaim === undefined)
    return undefined;
  const tenant = ownValue(claims, tenantClaim);
  if (r.owner === "none" || typeof tenant !== "string") return new Map();
  const creator = r.owner === "creator";
  return new Map([[asked.documentId, { tenant, creator: creator ? r.subject : "", issuer: creator ? r.issuer : "" }]]);
}

interface Change {
  gain: boolean;
  role: string;
  backend: AccessChangeGroup["backend"];
  what: string;
}

/** `p`: CDN grant id -> its prefix template (`/tenants/${claims.tid}/`): a concrete path names one caller's tenant. */
function compare(a: Outcome, b: Outcome, p: Map<string, string>): Change[] {
  const out: Change[] = [];
  const gains = {
    add: (role: string, backend: Change["backend"], what: string) => out.push({ gain: true, role, backend, what }),
  };
  const losses = {
    add: (role: string, backend: Change["backend"], what: string) => out.push({ gain: false, role, backend, what }),
  };
  if ("denied" in a && "denied" in b) return out;
  if ("denied" in a && "granted" in b) {
    gains.add(b.role, b.granted.type, `denied → ${access(b.granted, p)}`);
    return out;
  }
  if ("granted" in a && "denied" in b) {
    losses.add(a.role, a.granted.type, `${access(a.granted, p)} → denied (${b.denied})`);
    return out;
  }
  if (!("granted" in a && "granted" in b)) return out;
  const x = a.granted;
  const y = b.granted;
  if (y.ttlSeconds > x.ttlSeconds)
    gains.add(b.role, y.type, `${target(y, p)} ttl ${formatDuration(x.ttlSeconds)} → ${formatDuration(y.ttlSeconds)}`);
  if (y.ttlSeconds < x.ttlSeconds)
    losses.add(a.role, x.type, `${target(x, p)} ttl ${formatDuration(x.ttlSeconds)} → ${formatDuration(y.ttlSeconds)}`);
  if (x.type === "cosmos" && y.type === "cosmos") {
    if (x.access !== y.access)
      (y.access === "all" ? gains : losses).add(
        y.access === "all" ? b.role : a.role,
        "cosmos",
        `${target(x, p)} ${x.access} → ${y.access}`,
      );
    if (x.partitionKey !== null && y.partitionKey === null)
      gains.add(b.role, "cosmos", `${target(x, p)} one partition → every partition`);
    if (x.partitionKey === null && y.partitionKey !== null)
      losses.add(a.role, "cosmos", `${target(x, p)} every partition → one partition`);
  } else if (x.type === "fluid" && y.type === "fluid") {
    const more = y.scopes.filter((s) => !x.scopes.includes(s));
    const fewer = x.scopes.filter((s) => !y.scopes.includes(s));
    if (more.length > 0) gains.add(b.role, "fluid", `documents gain ${more.join(" ")}`);
    if (fewer.length > 0) losses.add(a.role, "fluid", `documents lose ${fewer.join(" ")}`);
  } else if (x.type === "cdn" && y.type === "cdn") {
    if (x.bindClientIp && !y.bindClientIp) gains.add(b.role, "cdn", `${target(y, p)} no longer bound to the client IP`);
    if (!x.bindClientIp && y.bindClientIp) losses.add(a.role, "cdn", `${target(y, p)} now bound to the client IP`);
  }
  return out;
}

/** The access without per-caller values (a partition, a document id), so callers group per role and backend. */
function target(g: GrantedCredential, cdnPrefixes: Map<string, string>): string {
  if (g.type === "cosmos") return g.container;
  if (g.type === "fluid") return g.documentId === "" ? "new documents" : "documents";
  return `CDN ${cdnPrefixes.get(g.grant) ?? g.grant}`;
}

function access(g: GrantedCredential, cdnPrefixes: Map<string, string>): string {
  if (g.type === "cosmos") return `${g.container} ${g.access}${g.partitionKey === null ? " (every partition)" : ""}`;
  if (g.type === "fluid") return `${target(g, cdnPrefixes)} ${g.scopes.join(" ")}`;
  return `${target(g, cdnPrefixes)}${g.bindClientIp ? ", bound to client IP" : ""}`;
}

class Groups {
  private readonly groups = new Map<
    string,
    { g: Omit<AccessChangeGroup, "callers" | "subjects">; subjects: Set<string> }
  >();

  add(role: string, backend: AccessChangeGroup["backend"], what: string, subject: string): void {
    const key = `${role}\u0000${backend}\u0000${what}`;
    let entry = this.groups.get(key);
    if (!entry) {
      entry = { g: { role, backend, what, exchanges: 0 }, subjects: new Set() };
      this.groups.set(key, entry);
    }
    entry.g.exchanges++;
    entry.subjects.add(subject);
  }

  list(): AccessChangeGroup[] {
    return [...this.groups.values()]
      .map(({ g, subjects }) => ({
        ...g,
        callers: subjects.size,
        subjects: [...subjects].sort().slice(0, MAX_SUBJECTS),
      }))
      .sort((a, b) => b.callers - a.callers || a.role.localeCompare(b.role) || a.what.localeCompare(b.what));
  }
}

class Undecided {
  private readonly roles = new Map<
    string,
    { claims: Map<string, ClaimGap>; owner: boolean; exchanges: number; subjects: Set<string> }
  >();

  add(role: string, claims: Map<string, ClaimGap>, subject: string): void {
    let entry = this.roles.get(role);
    if (!entry) this.roles.set(role, (entry = { claims: new Map(), owner: false, exchanges: 0, subjects: new Set() }));
    for (const [claim, why] of claims) {
      if (claim === OWNER_GAP) entry.owner = true;
      else if (!entry.claims.has(claim) || why === "not recorded") entry.claims.set(claim, why);
    }
    entry.exchanges++;
    entry.subjects.add(subject);
  }

  list(): UndecidedRole[] {
    return [...this.roles]
      .map(([role, e]) => ({
        role,
        claims: [...e.claims].map(([claim, why]) => ({ claim, why })).sort((a, b) => a.claim.localeCompare(b.claim)),
        ...(e.owner ? { documentOwner: "not recorded" as const } : {}),
        callers: e.subjects.size,
        exchanges: e.exchanges,
        subjects: [...e.subjects].sort().slice(0, MAX_SUBJECTS),
      }))
      .sort((a, b) => b.callers - a.callers || a.role.localeCompare(b.role));
  }
}
