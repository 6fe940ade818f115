/**
 * Explain: for one identity, which roles match and why (each claim test with its outcome), what each matched role
 * grants, and, given requests, the decision. A review tool: it runs locally on claims the reviewer supplies.
 */
import { ownValue } from "../runtime/own";
import type { AccessRequest } from "../runtime/access-request";
import type { DocumentOwners } from "../runtime/document-owner";
import { conditionHolds, createEvaluator, type Decision, type VerifiedIdentity } from "../runtime/evaluate";
import { renderCondition, renderGrant } from "./render";
import type { CompiledCondition, RuntimeConfig } from "../runtime/runtime-config";

export interface ConditionTrace {
  test: string;
  holds: boolean;
  children?: ConditionTrace[];
}

export interface RoleExplanation {
  role: string;
  matched: boolean;
  why: ConditionTrace;
  /** Set when the role is limited to other issuers. */
  issuerMismatch?: boolean;
  grants: string[];
}

export interface Explanation {
  policy: string;
  environment: string;
  issuer: string;
  subject: string;
  roles: RoleExplanation[];
  decision?: Decision;
}

/** `owners`: recorded owners of the Fluid documents asked for, as the broker would look them up (`--owner`). */
export function explain(
  config: RuntimeConfig,
  identity: VerifiedIdentity,
  requests?: AccessRequest[],
  owners?: DocumentOwners,
): Explanation {
  const evaluator = createEvaluator(config);
  const matched = new Set(evaluator.matchRoles(identity).map((r) => r.name));
  const subjectClaim = config.issuers.find((i) => i.name === identity.issuer)?.subjectClaim ?? "sub";
  return {
    policy: config.policyHash,
    environment: config.environment.name,
    issuer: identity.issuer,
    subject: String(ownValue(identity.claims, subjectClaim) ?? ""),
    roles: config.roles.map((r) => ({
      role: r.name,
      matched: matched.has(r.name),
      why: trace(r.when, identity.claims),
      ...(r.issuers !== null && !r.issuers.includes(identity.issuer) && { issuerMismatch: true }),
      grants: r.grants.map((g) => `${renderGrant(g)}  [${g.id}]`),
    })),
    ...(requests && { decision: evaluator.evaluate(identity, requests, owners) }),
  };
}

const OWNED_TENANT = "Fluid documents owned by the caller's tenant";
const OWNED_CREATOR = "Fluid documents the caller created";

/** The same truth table as the evaluator, kept as a tree for display (only `explain` pays for it). */
function trace(c: CompiledCondition, claims: Readonly<Record<string, unknown>>): ConditionTrace {
  if (c.op === "all" || c.op === "any") {
    const children = c.of.map((x) => trace(x, claims));
    return {
      test: c.op === "all" ? "all of" : "any of",
      holds: c.op === "all" ? children.every((x) => x.holds) : children.some((x) => x.holds),
      children,
    };
  }
  if (c.op === "not") {
    const inner = trace(c.of, claims);
    return { test: "not", holds: !inner.holds, children: [inner] };
  }
  return { test: renderCondition(c), holds: conditionHolds(c, claims) };
}

export function formatExplanation(e: Explanation): string {
  const lines = [
    `policy ${e.policy.slice(0, 19)}… environment ${e.environment}`,
    `issuer ${e.issuer}, subject ${e.subject || "(missing)"}`,
    "",
  ];
  for (const r of e.roles) {
    lines.push(`${r.matched ? "✔" : "✘"} role ${r.role}${r.issuerMismatch ? " (not for this issuer)" : ""}`);
    const walk = (t: ConditionTrace, depth: number) => {
      lines.push(`${"    ".repeat(depth)}${t.holds ? "✔" : "✘"} ${t.test}`);
      for (const ch of t.children ?? []) walk(ch, depth + 1);
    };
    walk(r.why, 1);
    if (r.matched) for (const g of r.grants) lines.push(`    grants ${g}`);
  }
  if (e.decision) {
    lines.push("");
    // An owner-scoped grant says so: the document was granted through its recorded owner, not its id.
    const ownerGrants = new Map(
      e.roles.flatMap((r) =>
        r.grants
          .filter((g) => g.includes(OWNED_TENANT) || g.includes(OWNED_CREATOR))
          .map((g) => [g.slice(g.lastIndexOf("[") + 1, -1), g.includes(OWNED_TENANT) ? OWNED_TENANT : OWNED_CREATOR]),
      ),
    );
    for (const c of e.decision.credentials) {
      const owned = ownerGrants.get(c.grant);
      lines.push(
        `request ${c.request}: granted by ${c.grant}${owned ? ` (${owned})` : ""}: ${JSON.stringify({ ...c, request: undefined, grant: undefined })}`,
      );
    }
    for (const d of e.decision.denied) lines.push(`request ${d.request}: denied (${d.reason}): ${d.message}`);
  }
  return lines.join("\n");
}
