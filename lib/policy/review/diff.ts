/**
 * Semantic diff of two policies: per environment and per role, what the role can obtain before and after
 * (lib/policy/review/effective-access.ts: the union of its own and inherited grants, per backend and target, the
 * widest capabilities), reporting only changes to that; plus who holds a role, trusted issuers, CDN edge rules and
 * Cosmos RBAC. A changed condition or issuer list counts as widening: the reviewer must judge it.
 *
 * The JSON result (`policy diff --json`) is this module's `PolicyDiff`, a public contract (README "policy diff"):
 * groups of environments with identical changes; each change has `scope` (its heading), `direction`, `text`, and
 * for a role `role`, and for an access change `access: { backend, target, before, after }`.
 */
import { canonicalJson } from "../authoring/canonical-json";
import type { CompiledPolicy } from "../authoring/compile";
import type { InfraNeeds } from "../authoring/infra-needs";
import {
  effectiveAccess,
  renderCapability,
  uncovered,
  type Backend,
  type Capability,
  type EffectiveAccess,
} from "./effective-access";
import { renderCondition } from "./render";
import type { CompiledRole } from "../runtime/runtime-config";

export type Direction = "widens" | "narrows" | "neutral";

export interface PolicyChange {
  /** The heading it is shown under: "role editor", "issuer entra", "CDN edge /tenants/", "Cosmos RBAC operations". */
  scope: string;
  direction: Direction;
  /** One line for people, e.g. "Fluid documents `*`: doc:read doc:write summary:write, 1h → doc:read doc:write, 1h". */
  text: string;
  /** The role, on every role change. */
  role?: string;
  /** On a change to what the role can obtain. */
  access?: AccessChange;
}

export interface AccessChange {
  backend: Backend;
  /** "Cosmos `documents` partition `${claims.tid}`", "Cosmos `documents` (every partition)", "Fluid documents `*`",
   * "Fluid: create new documents", "CDN `/tenants/${claims.tid}/`". */
  target: string;
  /** The widest capabilities the role had at this target (empty: none). */
  before: Capability[];
  /** ... and has now. */
  after: Capability[];
  /** What it gains that nothing it had covered, and what it loses that nothing it keeps covers. */
  gained: Capability[];
  lost: Capability[];
}

export interface EnvironmentDiff {
  environments: string[];
  changes: PolicyChange[];
}

export interface PolicyDiff {
  unchanged: boolean;
  widens: boolean;
  groups: EnvironmentDiff[];
}

/** `pairs`: environment name -> compiled base and head (undefined where the environment does not exist). */
export function diffPolicies(pairs: Map<string, { base?: CompiledPolicy; head?: CompiledPolicy }>): PolicyDiff {
  const groups: EnvironmentDiff[] = [];
  for (const [env, { base, head }] of pairs) {
    const changes = diffEnvironment(env, base, head);
    const key = canonicalJson(changes);
    const same = groups.find((g) => canonicalJson(g.changes) === key);
    if (same) same.environments.push(env);
    else groups.push({ environments: [env], changes });
  }
  const all = groups.flatMap((g) => g.changes);
  return {
    unchanged: all.length === 0,
    widens: all.some((c) => c.direction === "widens"),
    groups: groups.filter((g) => g.changes.length > 0),
  };
}

function diffEnvironment(env: string, base?: CompiledPolicy, head?: CompiledPolicy): PolicyChange[] {
  if (!base && head) return [{ scope: `environment ${env}`, direction: "widens", text: "environment added" }];
  if (base && !head) return [{ scope: `environment ${env}`, direction: "narrows", text: "environment removed" }];
  if (!base || !head) return [];
  return [
    ...diffIssuers(base, head),
    ...diffRoles(base.config.roles, head.config.roles),
    ...diffEdge(base.infra, head.infra),
    ...diffRbac(base.infra, head.infra),
  ];
}

function diffRoles(base: CompiledRole[], head: CompiledRole[]): PolicyChange[] {
  const out: PolicyChange[] = [];
  const before = new Map(base.map((r) => [r.name, r]));
  const after = new Map(head.map((r) => [r.name, r]));
  for (const r of head) {
    const scope = `role ${r.name}`;
    const role = r.name;
    const old = before.get(r.name);
    if (!old) {
      out.push({ scope, role, direction: "widens", text: `**new role** for callers where ${renderCondition(r.when)}` });
      out.push(...diffAccess(scope, role, new Map(), effectiveAccess(r.grants)));
      continue;
    }
    if (canonicalJson(old.when) !== canonicalJson(r.when)) {
      out.push({
        scope,
        role,
        direction: "widens",
        text: `**who changed**: was ${renderCondition(old.when)}; now ${renderCondition(r.when)}`,
      });
    }
    if (canonicalJson(old.issuers) !== canonicalJson(r.issuers)) {
      out.push({
        scope,
        role,
        direction: "widens",
        text: `issuers changed: ${old.issuers?.join(", ") ?? "all"} → ${r.issuers?.join(", ") ?? "all"}`,
      });
    }
    out.push(...diffAccess(scope, role, effectiveAccess(old.grants), effectiveAccess(r.grants)));
  }
  for (const r of base) {
    if (after.has(r.name)) continue;
    const scope = `role ${r.name}`;
    out.push({
      scope,
      role: r.name,
      direction: "narrows",
      text: `**role removed** (was for callers where ${renderCondition(r.when)})`,
    });
    out.push(...diffAccess(scope, r.name, effectiveAccess(r.grants), new Map()));
  }
  return out;
}

/** One change per target whose widest capabilities differ in a way the other side does not cover. */
function diffAccess(scope: string, role: string, base: EffectiveAccess, head: EffectiveAccess): PolicyChange[] {
  const out: PolicyChange[] = [];
  const labels = [...new Set([...head.keys(), ...base.keys()])];
  for (const label of labels) {
    const was = base.get(label);
    const now = head.get(label);
    const target = (now ?? was)!.target;
    const before = was?.capabilities ?? [];
    const after = now?.capabilities ?? [];
    const gained = uncovered(target, after, base);
    const lost = uncovered(target, before, head);
    if (gained.length === 0 && lost.length === 0) continue;
    const show = (caps: Capability[]) => (caps.length === 0 ? "nothing" : caps.map(renderCapability).join(" | "));
    let text =
      was === undefined
        ? `gains ${label}: ${show(after)}`
        : now === undefined
          ? `loses ${label}: was ${show(before)}`
          : `${label}: ${show(before)} → ${show(after)}`;
    // Where both sides hold something, say exactly what is no longer (or newly) obtainable.
    if (was !== undefined && now !== undefined && (before.length > 1 || after.length > 1)) {
      const parts = [
        ...(lost.length ? [`no longer ${show(lost)}`] : []),
        ...(gained.length ? [`newly ${show(gained)}`] : []),
      ];
      text += ` (${parts.join("; ")})`;
    }
    out.push({
      scope,
      role,
      direction: gained.length > 0 ? "widens" : "narrows",
      text,
      access: { backend: target.backend, target: label, before, after, gained, lost },
    });
  }
  return out;
}

function diffIssuers(base: CompiledPolicy, head: CompiledPolicy): PolicyChange[] {
  const out: PolicyChange[] = [];
  const before = new Map(base.config.issuers.map((i) => [i.name, i]));
  for (const i of head.config.issuers) {
    const scope = `issuer ${i.name}`;
    const old = before.get(i.name);
    if (!old) {
      out.push({ scope, direction: "widens", text: `**new trusted issuer** ${i.issuers.join(", ")}` });
      continue;
    }
    const listChange = (label: string, a: string[], b: string[]) => {
      const added = b.filter((x) => !a.includes(x));
      const removed = a.filter((x) => !b.includes(x));
      if (added.length) out.push({ scope, direction: "widens", text: `${label} added: ${added.join(", ")}` });
      if (removed.length) out.push({ scope, direction: "narrows", text: `${label} removed: ${removed.join(", ")}` });
    };
    listChange("accepted issuer", old.issuers, i.issuers);
    listChange("audience", old.audiences, i.audiences);
    listChange("algorithm", old.algorithms, i.algorithms);
    if (old.clockToleranceSeconds !== i.clockToleranceSeconds) {
      out.push({
        scope,
        direction: i.clockToleranceSeconds > old.clockToleranceSeconds ? "widens" : "narrows",
        text: `clock tolerance ${old.clockToleranceSeconds}s → ${i.clockToleranceSeconds}s`,
      });
    }
    if (old.subjectClaim !== i.subjectClaim)
      out.push({ scope, direction: "widens", text: `subject claim ${old.subjectClaim} → ${i.subjectClaim}` });
  }
  for (const i of base.config.issuers) {
    if (!head.config.issuers.some((h) => h.name === i.name))
      out.push({ scope: `issuer ${i.name}`, direction: "narrows", text: "issuer no longer trusted" });
  }
  return out;
}

function diffEdge(base: InfraNeeds, head: InfraNeeds): PolicyChange[] {
  const out: PolicyChange[] = [];
  const before = new Map((base.cdn?.prefixes ?? []).map((p) => [p.prefix, p]));
  const after = new Map((head.cdn?.prefixes ?? []).map((p) => [p.prefix, p]));
  for (const [prefix, p] of after) {
    const scope = `CDN edge ${prefix}`;
    const old = before.get(prefix);
    if (!old) {
      out.push({ scope, direction: "widens", text: `new CDN prefix (${p.cache})` });
      continue;
    }
    if (old.cache !== p.cache)
      out.push({
        scope,
        direction: p.cache === "shared" ? "widens" : "narrows",
        text: `cache ${old.cache} → ${p.cache}`,
      });
    for (const kind of ["countries", "referrers"] as const) {
      const a = old.edge?.[kind];
      const b = p.edge?.[kind];
      const added = (x?: string[], y?: string[]) => (y ?? []).filter((v) => !(x ?? []).includes(v));
      const denyAdded = added(a?.deny, b?.deny);
      const denyRemoved = added(b?.deny, a?.deny);
      const allowAdded = added(a?.allow, b?.allow);
      const allowRemoved = added(b?.allow, a?.allow);
      if (denyAdded.length)
        out.push({ scope, direction: "narrows", text: `${kind} now denied: ${denyAdded.join(", ")}` });
      if (denyRemoved.length)
        out.push({ scope, direction: "widens", text: `${kind} no longer denied: ${denyRemoved.join(", ")}` });
      if (allowAdded.length)
        out.push({
          scope,
          direction: a?.allow ? "widens" : "narrows",
          text: `${kind} now allowed${a?.allow ? "" : " (only these)"}: ${allowAdded.join(", ")}`,
        });
      if (allowRemoved.length)
        out.push({
          scope,
          direction: b?.allow ? "narrows" : "widens",
          text: `${kind} no longer allowed${b?.allow ? "" : " (allow-list dropped: all allowed)"}: ${allowRemoved.join(", ")}`,
        });
    }
  }
  for (const prefix of before.keys())
    if (!after.has(prefix)) out.push({ scope: `CDN edge ${prefix}`, direction: "narrows", text: "CDN prefix removed" });
  if (base.cdn && head.cdn && base.cdn.denialStatus !== head.cdn.denialStatus) {
    out.push({
      scope: "CDN edge",
      direction: "neutral",
      text: `denial status ${base.cdn.denialStatus} → ${head.cdn.denialStatus}`,
    });
  }
  return out;
}

function diffRbac(base: InfraNeeds, head: InfraNeeds): PolicyChange[] {
  const out: PolicyChange[] = [];
  const before = new Map((base.cosmos?.rbac ?? []).map((a) => [a.name, a]));
  const after = new Map((head.cosmos?.rbac ?? []).map((a) => [a.name, a]));
  const show = (a: NonNullable<InfraNeeds["cosmos"]>["rbac"][number]) =>
    `${a.principalType} ${a.principalId} → ${a.role ?? a.dataActions!.join(" ")} on ${a.scope === "container" ? `container ${a.container}` : a.scope}`;
  for (const [name, a] of after) {
    const old = before.get(name);
    if (!old) out.push({ scope: `Cosmos RBAC ${name}`, direction: "widens", text: `new assignment: ${show(a)}` });
    else if (canonicalJson(old) !== canonicalJson(a))
      out.push({ scope: `Cosmos RBAC ${name}`, direction: "widens", text: `changed: ${show(old)} ⇒ ${show(a)}` });
  }
  for (const [name, a] of before)
    if (!after.has(name)) out.push({ scope: `Cosmos RBAC ${name}`, direction: "narrows", text: `removed: ${show(a)}` });
  return out;
}

const ARROW: Record<Direction, string> = { widens: "⬆ widens", narrows: "⬇ narrows", neutral: "• changes" };

export function formatDiffMarkdown(diff: PolicyDiff, baseLabel: string, headLabel: string): string {
  const lines = [`## Access policy diff: \`${baseLabel}\` → \`${headLabel}\``, ""];
  if (diff.unchanged) return [...lines, "unchanged: no one gains or loses access."].join("\n");
  const all = diff.groups.flatMap((g) => g.changes);
  const widen = all.filter((c) => c.direction === "widens").length;
  const narrow = all.filter((c) => c.direction === "narrows").length;
  lines.push(
    diff.widens
      ? `**Access widens** (${widen} widening, ${narrow} narrowing).`
      : `Access only narrows or stays the same (${narrow} narrowing).`,
    "",
  );
  for (const g of diff.groups) {
    lines.push(
      `### ${g.environments.length > 1 ? "Environments" : "Environment"} ${g.environments.map((e) => `\`${e}\``).join(", ")}`,
      "",
    );
    let scope = "";
    for (const c of g.changes) {
      if (c.scope !== scope) {
        // A blank line first: otherwise markdown folds the heading into the previous list item.
        if (scope !== "") lines.push("");
        scope = c.scope;
        lines.push(`**${scope}**`);
      }
      lines.push(`- ${ARROW[c.direction]}: ${c.text}`);
    }
    lines.push("");
  }
  return lines.join("\n").trimEnd();
}
