/**
 * The evaluator: (compiled config, verified claims, requests) -> what to mint and what is denied, with why.
 * The broker uses it at run time and `policy test|explain|diff` at review time, so reviewers see what production does.
 * Synchronous, and linear in every claim value it matches (linear-match.ts): no backtracking regular expression.
 *
 * Rules (README "Evaluation rules"):
 * - Deny by default: a request is granted only when one grant of a role the caller holds covers all of it.
 * - Grants are never combined: the credential comes from the single best covering grant, which is named.
 * - The caller gets what it asked for, not the whole grant: a read request under an `all` grant gets read;
 *   a request for one partition under a whole-container grant gets that partition; a shorter ttl is honoured.
 * - Best grant: Cosmos, the narrowest scope (a partition before the whole container), then the longest ttl;
 *   Fluid, the most scopes when none were asked for, then the longest ttl; CDN, the longest prefix, then the
 *   longest ttl. Remaining ties go to policy order, so the result is deterministic.
 * - A template value that is missing or unsafe makes that grant unusable; it is never escaped into a wider one.
 */
import type { AccessRequest } from "./access-request";
import type {
  CompiledCdnGrant,
  CompiledCondition,
  CompiledCosmosGrant,
  CompiledFluidGrant,
  CompiledRole,
  CosmosAccess,
  FluidScope,
  RuntimeConfig,
} from "./runtime-config";
import { ownValue } from "./own";
import { indexKey } from "./runtime-config";
import { matchesGlob } from "./linear-match";
import type { DocumentOwners } from "./document-owner";
import { expandTemplate, matchesDocumentPattern, type ClaimValues } from "./template";

export interface VerifiedIdentity {
  /** Name of the policy issuer that verified the token. */
  issuer: string;
  claims: ClaimValues;
}

export type GrantedCredential =
  | {
      request: number;
      type: "cosmos";
      grant: string;
      database: string;
      container: string;
      partitionKeyPath: string;
      partitionKey: string | null;
      access: CosmosAccess;
      ttlSeconds: number;
    }
  | {
      request: number;
      type: "fluid";
      grant: string;
      documentId: string;
      create: boolean;
      scopes: FluidScope[];
      ttlSeconds: number;
    }
  | {
      request: number;
      type: "cdn";
      grant: string;
      path: string;
      prefix: string;
      bindClientIp: boolean;
      protocol: "https" | "https,http";
      ttlSeconds: number;
    };

export type DenialReason =
  | "no-subject" // the token has no subject claim
  | "no-role" // the caller holds no role at all
  | "not-granted" // no grant of the caller's roles names this resource
  | "insufficient-access" // a grant names it, but not with the access, scopes or creation asked for
  | "partition-not-granted" // a grant names the container, but not this partition
  | "claim-unusable" // a grant needs a claim that is missing or holds an unsafe value
  | "not-owned" // grants cover documents by owner only, and this one's recorded owner is not the caller('s tenant)
  | "ambiguous"; // several grants give different partitions; the request must name one

export interface Denial {
  request: number;
  type: AccessRequest["type"];
  reason: DenialReason;
  /** Safe to show the caller: never a claim value. */
  message: string;
}

export interface Decision {
  policy: string;
  subject: string;
  roles: string[];
  credentials: GrantedCredential[];
  denied: Denial[];
}

export interface Evaluator {
  readonly config: RuntimeConfig;
  /** The roles the identity holds, in policy order. */
  matchRoles(identity: VerifiedIdentity): CompiledRole[];
  /** `owners`: the recorded owners of the Fluid documents asked for (owner-scoped grants need them). */
  evaluate(identity: VerifiedIdentity, requests: readonly AccessRequest[], owners?: DocumentOwners): Decision;
}

const ACCESS_RANK: Record<CosmosAccess, number> = { read: 1, all: 2 };

export function createEvaluator(config: RuntimeConfig): Evaluator {
  const issuerOf = new Map(config.issuers.map((i) => [i.name, i]));
  const indexedClaims = Object.keys(config.index.byClaim);

  // Candidate roles are marked with the current generation instead of collected in a fresh Set per call:
  // no allocation proportional to the policy on the hot path. Safe because evaluation is synchronous.
  const marks = new Uint32Array(config.roles.length);
  let generation = 0;

  function matchRoles(identity: VerifiedIdentity): CompiledRole[] {
    generation = generation === 0xffffffff ? 1 : generation + 1;
    if (generation === 1) marks.fill(0);
    const hits: number[] = [];
    for (const claim of indexedClaims) {
      const table = config.index.byClaim[claim]; // claim comes from Object.keys: own
      const value = ownValue(identity.claims, claim);
      if (Array.isArray(value)) {
        for (const v of value) collect(table, v, hits);
      } else {
        collect(table, value, hits);
      }
    }
    hits.sort((a, b) => a - b);
    // Merge the indexed hits with the always-tested roles, keeping policy order.
    const unindexed = config.index.unindexed;
    const matched: CompiledRole[] = [];
    let h = 0;
    let u = 0;
    while (h < hits.length || u < unindexed.length) {
      const i = u >= unindexed.length || (h < hits.length && hits[h] < unindexed[u]) ? hits[h++] : unindexed[u++];
      const role = config.roles[i];
      if (
        (role.issuers === null || role.issuers.includes(identity.issuer)) &&
        conditionHolds(role.when, identity.claims)
      )
        matched.push(role);
    }
    return matched;
  }

  function collect(table: Record<string, number[]>, value: unknown, hits: number[]): void {
    const key = indexKey(value);
    const roles = key === undefined ? undefined : ownValue(table, key);
    if (!roles) return;
    for (const i of roles) {
      if (marks[i] !== generation) {
        marks[i] = generation;
        hits.push(i);
      }
    }
  }

  function evaluate(identity: VerifiedIdentity, requests: readonly AccessRequest[], owners?: DocumentOwners): Decision {
    const issuer = issuerOf.get(identity.issuer);
    const rawSubject = issuer ? ownValue(identity.claims, issuer.subjectClaim) : undefined;
    const subject = typeof rawSubject === "string" ? rawSubject : "";
    const roles = subject && issuer ? matchRoles(identity) : [];
    const decision: Decision = {
      policy: config.policyHash,
      subject,
      roles: roles.map((r) => r.name),
      credentials: [],
      denied: [],
    };
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i];
      let result: Outcome;
      if (!subject)
        result = { reason: "no-subject", message: "the token does not carry the subject claim this issuer requires" };
      else if (roles.length === 0) result = { reason: "no-role", message: "the caller holds no role in this policy" };
      else if (request.type === "cosmos") result = decideCosmos(i, request, roles, identity.claims);
      else if (request.type === "fluid") result = decideFluid(i, request, roles, identity, subject, owners);
      else result = decideCdn(i, request, roles, identity.claims);
      if ("reason" in result)
        decision.denied.push({ request: i, type: request.type, reason: result.reason, message: result.message });
      else decision.credentials.push(result);
    }
    return decision;
  }

  type Outcome = GrantedCredential | { reason: DenialReason; message: string };

  function decideCosmos(
    i: number,
    req: Extract<AccessRequest, { type: "cosmos" }>,
    roles: CompiledRole[],
    claims: ClaimValues,
  ): Outcome {
    const container = ownValue(config.resources.cosmos?.containers, req.container);
    const grants = grantsOf(roles, "cosmos").filter((g) => g.container === req.container);
    if (!container || grants.length === 0)
      return { reason: "not-granted", message: `no role grants access to this container` };
    const access = req.access ?? "read";
    const strongEnough = grants.filter((g) => ACCESS_RANK[g.access] >= ACCESS_RANK[access]);
    if (strongEnough.length === 0)
      return {
        reason: "insufficient-access",
        message: `the caller's roles grant read access only, '${access}' was asked`,
      };
    const options: { grant: CompiledCosmosGrant; partition: string | null }[] = [];
    let unusable: string | undefined;
    for (const g of strongEnough) {
      const scope = g.partitionKey === null ? { value: null } : expandTemplate(g.partitionKey, claims);
      if ("reason" in scope) {
        unusable = `grant ${g.id} needs claim '${scope.claim}', which ${scope.reason}`;
        continue;
      }
      if (req.partitionKey === "*") {
        if (scope.value === null) options.push({ grant: g, partition: null });
      } else if (req.partitionKey !== undefined) {
        if (scope.value === null || scope.value === req.partitionKey)
          options.push({ grant: g, partition: req.partitionKey });
      } else {
        options.push({ grant: g, partition: scope.value });
      }
    }
    if (options.length === 0) {
      if (unusable) return { reason: "claim-unusable", message: unusable };
      return {
        reason: "partition-not-granted",
        message:
          req.partitionKey === "*"
            ? "no role grants the whole container"
            : "no role grants this partition of the container",
      };
    }
    // Narrowest scope first (a partition before the whole container), then the longest ttl, then policy order.
    const narrow = options.filter((o) => o.partition !== null);
    const pool = narrow.length > 0 ? narrow : options;
    const partitions = new Set(pool.map((o) => o.partition));
    if (partitions.size > 1)
      return {
        reason: "ambiguous",
        message: "the caller's roles grant several partitions of this container; name one in partitionKey",
      };
    const best = longestTtl(pool.map((o) => o.grant));
    return {
      request: i,
      type: "cosmos",
      grant: best.id,
      database: config.resources.cosmos!.database,
      container: req.container,
      partitionKeyPath: container.partitionKeyPath,
      partitionKey: pool[0].partition,
      access,
      ttlSeconds: Math.min(req.ttl ?? best.ttlSeconds, best.ttlSeconds),
    };
  }

  function decideFluid(
    i: number,
    req: Extract<AccessRequest, { type: "fluid" }>,
    roles: CompiledRole[],
    identity: VerifiedIdentity,
    subject: string,
    owners: DocumentOwners | undefined,
  ): Outcome {
    const claims = identity.claims;
    const all = grantsOf(roles, "fluid");
    if (all.length === 0 || !config.resources.fluid)
      return { reason: "not-granted", message: "no role grants Fluid documents" };
    let unusable: string | undefined;
    let covering: CompiledFluidGrant[];
    if (req.create) {
      covering = all.filter((g) => g.create);
      if (covering.length === 0)
        return { reason: "insufficient-access", message: "no role allows creating Fluid documents" };
    } else {
      let notOwned: string | undefined;
      covering = all.filter((g) => {
        if (g.owner) {
          const why = ownerRefusal(g.owner, req.documentId!, identity, subject, owners);
          if (why) {
            notOwned ??= why;
            return false;
          }
        }
        const pattern = expandTemplate(g.documents, claims);
        if ("reason" in pattern) {
          unusable = `grant ${g.id} needs claim '${pattern.claim}', which ${pattern.reason}`;
          return false;
        }
        return matchesDocumentPattern(pattern.value, req.documentId!);
      });
      if (covering.length === 0) {
        if (unusable) return { reason: "claim-unusable", message: unusable };
        if (notOwned) return { reason: "not-owned", message: notOwned };
        return { reason: "not-granted", message: "no role grants this Fluid document" };
      }
    }
    const wanted = req.scopes;
    const usable = wanted ? covering.filter((g) => wanted.every((s) => g.scopes.includes(s))) : covering;
    if (usable.length === 0)
      return { reason: "insufficient-access", message: "no single role grants every Fluid scope asked for" };
    const most = Math.max(...usable.map((g) => g.scopes.length));
    const best = longestTtl(wanted ? usable : usable.filter((g) => g.scopes.length === most));
    const scopes = (wanted ?? best.scopes).slice().sort();
    return {
      request: i,
      type: "fluid",
      grant: best.id,
      documentId: req.create ? "" : req.documentId!,
      create: req.create === true,
      scopes,
      ttlSeconds: Math.min(req.ttl ?? best.ttlSeconds, best.ttlSeconds),
    };
  }

  /** Why an owner-scoped grant does not cover this document, or undefined when it does. */
  function ownerRefusal(
    scope: "tenant" | "creator",
    documentId: string,
    identity: VerifiedIdentity,
    subject: string,
    owners: DocumentOwners | undefined,
  ): string | undefined {
    const tenantClaim = config.resources.fluidOwners?.tenantClaim;
    const owner = owners?.get(documentId);
    if (!owner || tenantClaim === undefined) return "the document has no recorded owner in the caller's tenant";
    const tenant = Object.hasOwn(identity.claims, tenantClaim) ? identity.claims[tenantClaim] : undefined;
    if (typeof tenant !== "string" || owner.tenant !== tenant)
      return "the document has no recorded owner in the caller's tenant";
    if (scope === "creator" && (owner.creator !== subject || owner.issuer !== identity.issuer))
      return "the document was created by someone else, and the grant covers only documents the caller created";
    return undefined;
  }

  function decideCdn(
    i: number,
    req: Extract<AccessRequest, { type: "cdn" }>,
    roles: CompiledRole[],
    claims: ClaimValues,
  ): Outcome {
    const all = grantsOf(roles, "cdn");
    let unusable: string | undefined;
    const covering: { grant: CompiledCdnGrant; prefix: string }[] = [];
    for (const g of all) {
      const prefix = expandTemplate(g.prefix, claims);
      if ("reason" in prefix) {
        unusable = `grant ${g.id} needs claim '${prefix.claim}', which ${prefix.reason}`;
        continue;
      }
      // Prefixes end in '/', and the path is canonical (no '..'), so startsWith cannot escape the prefix.
      if (req.path.startsWith(prefix.value) && req.path.length > prefix.value.length)
        covering.push({ grant: g, prefix: prefix.value });
    }
    if (covering.length === 0) {
      return unusable
        ? { reason: "claim-unusable", message: unusable }
        : { reason: "not-granted", message: "no role grants this CDN path" };
    }
    const longest = Math.max(...covering.map((c) => c.prefix.length));
    const pool = covering.filter((c) => c.prefix.length === longest);
    const best = longestTtl(pool.map((c) => c.grant));
    return {
      request: i,
      type: "cdn",
      grant: best.id,
      path: req.path,
      prefix: pool[0].prefix,
      bindClientIp: best.bindClientIp,
      protocol: best.protocol,
      ttlSeconds: Math.min(req.ttl ?? best.ttlSeconds, best.ttlSeconds),
    };
  }

  return { config, matchRoles, evaluate };
}

/** Whether a compiled condition holds for these claims. */
export function conditionHolds(c: CompiledCondition, claims: ClaimValues): boolean {
  switch (c.op) {
    case "all":
      for (const x of c.of) if (!conditionHolds(x, claims)) return false;
      return true;
    case "any":
      for (const x of c.of) if (conditionHolds(x, claims)) return true;
      return false;
    case "not":
      return !conditionHolds(c.of, claims);
    case "exists": {
      const v = ownValue(claims, c.claim);
      return (v !== undefined && v !== null) === c.value;
    }
    case "equals":
      return ownValue(claims, c.claim) === c.value;
    case "in":
      return c.values.includes(ownValue(claims, c.claim) as never);
    case "contains": {
      const v = ownValue(claims, c.claim);
      return Array.isArray(v) && v.includes(c.value);
    }
    case "prefix": {
      const v = ownValue(claims, c.claim);
      return typeof v === "string" && v.startsWith(c.value);
    }
    case "glob": {
      const v = ownValue(claims, c.claim);
      return typeof v === "string" && matchesGlob(c.glob, v);
    }
  }
}

function grantsOf<T extends "cosmos" | "fluid" | "cdn">(roles: CompiledRole[], type: T) {
  type G = Extract<CompiledRole["grants"][number], { type: T }>;
  const out: G[] = [];
  for (const r of roles) for (const g of r.grants) if (g.type === type) out.push(g as G);
  return out;
}

/** The grant with the longest ttl; the first in policy order on a tie. */
function longestTtl<G extends { ttlSeconds: number }>(grants: G[]): G {
  return grants.reduce((best, g) => (g.ttlSeconds > best.ttlSeconds ? g : best));
}

/** Convenience for one-off use (CLI, tests). The broker keeps one Evaluator per config. */
export function evaluate(
  config: RuntimeConfig,
  identity: VerifiedIdentity,
  requests: readonly AccessRequest[],
  owners?: DocumentOwners,
): Decision {
  return createEvaluator(config).evaluate(identity, requests, owners);
}
