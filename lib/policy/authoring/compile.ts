/**
 * Compile: a checked policy + one environment -> the broker's runtime config and the infrastructure it needs.
 * Deterministic: the same input gives byte-identical output (policy order is kept, no clocks, no randomness).
 */
import { ownValue, setOwn } from "../runtime/own";
import { canonicalJson, sha256Hex } from "./canonical-json";
import type { CheckedPolicy } from "./checked-policy";
import { roleClaimShapes, withFixedLengths } from "./check-template-collisions";
import { defaultSubject, inStage } from "./document-queries";
import { entraIssuer, entraTokenVersions } from "./entra-tokens";
import { parseDuration } from "./duration";
import { resolveEnvironment, type ResolvedEnvironment } from "./environments";
import { buildInfraNeeds } from "./compile-infra-needs";
import { compileSharedState } from "./compile-shared-state";
import type { InfraNeeds } from "./infra-needs";
import { DEFAULT_ALGORITHMS, DEFAULT_CLOCK_TOLERANCE_SECONDS } from "../runtime/limits";
import {
  indexKey,
  RUNTIME_CONFIG_FORMAT,
  type CompiledCondition,
  type CompiledGrant,
  type CompiledIssuer,
  type CompiledRole,
  type RoleIndex,
  type RuntimeConfig,
} from "../runtime/runtime-config";
import type { ConditionSource, GrantSource, PolicyDocument, Scalar } from "./source-types";
import { resolveEnv, substituteEnv, UUID_PATTERN, type TemplatePart } from "../runtime/template";

export interface CompiledPolicy {
  config: RuntimeConfig;
  infra: InfraNeeds;
}

/** Compiles a checked policy (see loadCheckedPolicy) for one environment; throws only for an unknown environment. */
export function compilePolicy(bundle: CheckedPolicy, environment: string): CompiledPolicy {
  const env = resolveEnvironment(bundle.environments.entries, environment);
  const doc = bundle.document;
  const present = Object.entries(doc.roles).filter(([, r]) => inStage(r.stages, env));
  const presentNames = new Set(present.map(([n]) => n));
  const memo = newCompileMemo(env);
  const roles: CompiledRole[] = present.map(([name, role]) => ({
    name,
    issuers: role.issuers ?? null,
    when: compileCondition(role.when, env),
    grants: flattenGrants(doc, name, presentNames, memo),
  }));
  const body: Omit<RuntimeConfig, "policyHash"> = {
    format: RUNTIME_CONFIG_FORMAT,
    environment: { name: env.name, stage: env.stage },
    issuers: Object.entries(doc.issuers)
      .filter(([, i]) => i.environments === undefined || i.environments.includes(env.entry))
      .map(([name]) => compileIssuer(doc, name, env)),
    resources: {
      ...(doc.resources?.cosmos && {
        cosmos: {
          database: doc.resources.cosmos.database,
          containers: Object.fromEntries(
            Object.entries(doc.resources.cosmos.containers).map(([c, v]) => [c, { partitionKeyPath: v.partitionKey }]),
          ),
        },
      }),
      fluid: doc.resources?.fluid !== undefined,
      ...(doc.resources?.fluid?.owners && { fluidOwners: { tenantClaim: doc.resources.fluid.owners.tenant } }),
      ...(doc.resources?.cdn && {
        cdn: {
          prefixes: Object.fromEntries(
            Object.entries(doc.resources.cdn.prefixes).map(([p, v]) => [p, { cache: v.cache ?? "private" }]),
          ),
        },
      }),
    },
    roles,
    index: buildIndex(roles),
    ...compileSharedState(doc),
    // Only when set, so a policy without origins keeps its hash.
    ...(env.allowedOrigins.length > 0 && { cors: { allowedOrigins: [...env.allowedOrigins] } }),
  };
  const policyHash = `sha256:${sha256Hex(canonicalJson(body))}`;
  const { format, ...rest } = body;
  const config: RuntimeConfig = { format, policyHash, ...rest };
  return {
    config,
    infra: buildInfraNeeds(doc, env, ownValue(bundle.environments.entries, env.entry)!.azure ?? {}, config),
  };
}

function compileIssuer(doc: PolicyDocument, name: string, env: ResolvedEnvironment): CompiledIssuer {
  const src = ownValue(doc.issuers, name)!;
  const tenants = src.tenants?.map((t) => substituteEnv(t, env.values));
  const entra =
    src.type === "entra" ? tenants!.flatMap((t) => entraTokenVersions(src).map((v) => entraIssuer(t, v))) : undefined;
  const issuers = entra ? entra.map((e) => e.issuer) : [substituteEnv(src.issuer!, env.values)];
  return {
    name,
    type: src.type,
    issuers,
    discovery: entra
      ? entra.map((e) => e.discovery)
      : issuers.map((i) => `${i.replace(/\/+$/, "")}/.well-known/openid-configuration`),
    ...(tenants && { tenants }),
    audiences: src.audiences.map((a) => substituteEnv(a, env.values)),
    algorithms: src.algorithms ?? DEFAULT_ALGORITHMS,
    clockToleranceSeconds:
      src.clockTolerance === undefined ? DEFAULT_CLOCK_TOLERANCE_SECONDS : parseDuration(src.clockTolerance)!,
    subjectClaim: src.subject ?? defaultSubject(src),
    ...(src.tokenType && { tokenType: src.tokenType }),
    requiredClaims: src.requiredClaims ?? [],
    claims: Object.fromEntries(
      Object.entries(src.claims).map(([claim, d]) => {
        const pattern = d.format === "uuid" ? UUID_PATTERN : d.pattern;
        return [
          claim,
          { type: d.type, ...(pattern && { pattern: `^(?:${pattern})$` }), ...(d.enum && { enum: d.enum }) },
        ];
      }),
    ),
  };
}

function compileCondition(c: ConditionSource, env: ResolvedEnvironment): CompiledCondition {
  const v = (x: Scalar): Scalar => (typeof x === "string" ? substituteEnv(x, env.values) : x);
  if (c.all) return { op: "all", of: c.all.map((x) => compileCondition(x, env)) };
  if (c.any) return { op: "any", of: c.any.map((x) => compileCondition(x, env)) };
  if (c.not) return { op: "not", of: compileCondition(c.not, env) };
  const claim = c.claim!;
  if (c.equals !== undefined) return { op: "equals", claim, value: v(c.equals) };
  if (c.in !== undefined) return { op: "in", claim, values: c.in.map(v) };
  if (c.contains !== undefined) return { op: "contains", claim, value: v(c.contains) };
  if (c.prefix !== undefined) return { op: "prefix", claim, value: String(v(c.prefix)) };
  if (c.glob !== undefined) return { op: "glob", claim, glob: String(v(c.glob)) };
  return { op: "exists", claim, value: c.exists! };
}

/**
 * What one compile computes once and reuses across roles (issue 17: 10,000 roles). Only immutable text is shared
 * (grant keys, parsed templates before claim lengths are fixed); every compiled grant is built fresh, so no two
 * roles of the config share an object.
 */
interface CompileMemo {
  /** canonicalJson of each source grant: a grant inherited by several roles is keyed once. */
  grantKey(g: GrantSource): string;
  /** resolveEnv(text, env.values), as a fresh array of fresh parts each call. */
  resolve(text: string): TemplatePart[];
}

function newCompileMemo(env: ResolvedEnvironment): CompileMemo {
  const keys = new Map<GrantSource, string>();
  const templates = new Map<string, readonly TemplatePart[]>();
  return {
    grantKey(g) {
      let key = keys.get(g);
      if (key === undefined) keys.set(g, (key = canonicalJson(g)));
      return key;
    },
    resolve(text) {
      let parts = templates.get(text);
      if (parts === undefined) templates.set(text, (parts = resolveEnv(text, env.values)));
      return parts.map((p) => (typeof p === "string" ? p : { ...p }));
    },
  };
}

/** Own grants, then inherited ones (depth-first, parents present in this stage only), each once. */
function flattenGrants(doc: PolicyDocument, role: string, present: Set<string>, memo: CompileMemo): CompiledGrant[] {
  const out: CompiledGrant[] = [];
  // Earlier grants by kind: a grant can only repeat one of its own kind, so most grants need no canonical key at all.
  const earlier = new Map<string, GrantSource[]>();
  const repeats = (g: GrantSource): boolean => {
    const kind = grantKind(g);
    const same = earlier.get(kind);
    if (!same) {
      earlier.set(kind, [g]);
      return false;
    }
    const key = memo.grantKey(g);
    if (same.some((e) => e === g || memo.grantKey(e) === key)) return true;
    same.push(g);
    return false;
  };
  const visited = new Set<string>();
  const visit = (name: string) => {
    if (visited.has(name) || !present.has(name)) return;
    visited.add(name);
    // Claims are judged by the issuers of the role that declares the grant, as the check judged them.
    const source = ownValue(doc.roles, name)!;
    const shapes = roleClaimShapes(doc, source);
    const fixLengths = (parts: TemplatePart[]) => withFixedLengths(parts, shapes);
    (source.grants ?? []).forEach((g, i) => {
      if (!repeats(g)) out.push(compileGrant(g, `${name}#${i}`, memo, fixLengths));
    });
    for (const parent of source.inherits ?? []) visit(parent);
  };
  visit(role);
  return out;
}

/**
 * Which backend a grant is for, read from the grant's defined members (the ones its canonical JSON holds): grants of
 * different kinds never have the same canonical JSON.
 */
function grantKind(g: GrantSource): string {
  const members = g as { cosmos?: unknown; fluid?: unknown };
  return members.cosmos !== undefined ? "cosmos" : members.fluid !== undefined ? "fluid" : "cdn";
}

function compileGrant(
  g: GrantSource,
  id: string,
  memo: CompileMemo,
  fix: (p: TemplatePart[]) => TemplatePart[],
): CompiledGrant {
  if ("cosmos" in g) {
    const s = g.cosmos;
    return {
      type: "cosmos",
      id,
      container: s.container,
      partitionKey: s.partitionKey === undefined ? null : fix(memo.resolve(s.partitionKey)),
      access: s.access,
      ttlSeconds: parseDuration(s.ttl)!,
    };
  }
  if ("fluid" in g) {
    const s = g.fluid;
    const documents = fix(memo.resolve(typeof s.documents === "object" ? "*" : s.documents));
    return {
      type: "fluid",
      id,
      documents,
      ...(typeof s.documents === "object" && { owner: s.documents.owner }),
      create: s.create ?? false,
      scopes: [...s.scopes].sort(),
      ttlSeconds: parseDuration(s.ttl)!,
    };
  }
  const s = g.cdn;
  const prefix = fix(memo.resolve(s.prefix));
  return {
    type: "cdn",
    id,
    prefix,
    bindClientIp: s.bindClientIp ?? false,
    protocol: s.protocol ?? "https",
    ttlSeconds: parseDuration(s.ttl)!,
  };
}

/** See RoleIndex. A role is listed under every (claim, value) in its necessary keys, else tested every time. */
function buildIndex(roles: CompiledRole[]): RoleIndex {
  const byClaim: RoleIndex["byClaim"] = {};
  const unindexed: number[] = [];
  roles.forEach((role, i) => {
    const keys = necessaryKeys(role.when);
    if (!keys) {
      unindexed.push(i);
      return;
    }
    for (const { claim, value } of keys) {
      const table = ownValue(byClaim, claim) ?? setOwn(byClaim, claim, {});
      const key = indexKey(value)!;
      const list = ownValue(table, key) ?? setOwn(table, key, []);
      if (list[list.length - 1] !== i) list.push(i);
    }
  });
  return { byClaim, unindexed };
}

/**
 * Claim values of which at least one must be present for the condition to hold, or undefined when there is no
 * such set. `all`: any one child's set will do (the smallest is used); `any`: the union, if every branch has one.
 */
function necessaryKeys(c: CompiledCondition): { claim: string; value: Scalar }[] | undefined {
  switch (c.op) {
    case "equals":
    case "contains":
      return [{ claim: c.claim, value: c.value }];
    case "in":
      return c.values.map((value) => ({ claim: c.claim, value }));
    case "all": {
      let best: { claim: string; value: Scalar }[] | undefined;
      for (const x of c.of) {
        const k = necessaryKeys(x);
        if (k && (!best || k.length < best.length)) best = k;
      }
      return best;
    }
    case "any": {
      const union: { claim: string; value: Scalar }[] = [];
      for (const x of c.of) {
        const k = necessaryKeys(x);
        if (!k) return undefined;
        union.push(...k);
      }
      return union;
    }
    default:
      return undefined;
  }
}
