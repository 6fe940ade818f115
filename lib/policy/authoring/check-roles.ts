/** Role checks: issuers, conditions (declared claims, operator/type fit, never-matching), inheritance, shadowing. */
import { hasOwnName, ownValue } from "../runtime/own";
import type { Checker } from "./checker";
import { canonicalJson } from "./canonical-json";
import type { ResolvedEnvironment } from "./environments";
import {
  COMBINATORS,
  OPERATORS,
  type ClaimDeclaration,
  type ConditionSource,
  type PolicyDocument,
  type Scalar,
} from "./source-types";
import { roleIssuers } from "./document-queries";
import { closest } from "./spelling";
import { substituteEnv, UUID } from "../runtime/template";
import { compileLinearPattern, patternProblem } from "../runtime/linear-match";
import type { JsonPath } from "./yaml-source";

/** The issuers a role applies to, with their declared claims. */
export function checkRoles(doc: PolicyDocument, envs: ResolvedEnvironment[], c: Checker): void {
  const names = Object.keys(doc.roles);
  for (const [name, role] of Object.entries(doc.roles)) {
    const at = ["roles", name];
    (role.issuers ?? []).forEach((iss, i) => {
      if (!hasOwnName(doc.issuers, iss)) {
        const guess = closest(iss, Object.keys(doc.issuers));
        c.report(
          "E_UNKNOWN_ISSUER",
          [...at, "issuers", i],
          `role '${name}' names issuer '${iss}', which the policy does not define`,
          guess ? `did you mean '${guess}'?` : `define it under issuers, or remove it`,
        );
      }
    });
    const never = checkCondition(role.when, [...at, "when"], roleIssuers(doc, role), envs, c);
    if (never)
      c.report(
        "E_NEVER_MATCHES",
        [...at, "when"],
        `role '${name}' can never match: ${never}`,
        "fix the value so a real token can carry it, or remove the role",
      );
    (role.inherits ?? []).forEach((parent, i) => {
      if (!hasOwnName(doc.roles, parent)) {
        const guess = closest(parent, names);
        c.report(
          "E_UNKNOWN_ROLE",
          [...at, "inherits", i],
          `role '${name}' inherits '${parent}', which does not exist`,
          guess ? `did you mean '${guess}'?` : `known roles: ${names.join(", ")}`,
        );
      }
    });
    // A revocation admin role needs no grants: revoking is what it is for.
    const revocationAdmin = doc.revocation?.adminRoles?.includes(name) ?? false;
    if ((role.grants ?? []).length === 0 && (role.inherits ?? []).length === 0 && !revocationAdmin) {
      const hint = "add `grants:` or `inherits:`, name it in revocation.adminRoles, or remove the role";
      c.report("E_NEVER_MATCHES", at, `role '${name}' grants nothing`, hint, { key: true });
    }
  }
  checkCycles(doc, c);
  checkShadowing(doc, c);
}

/** Returns why the condition can never match, or undefined. Reports structural and claim problems on the way. */
function checkCondition(
  cond: ConditionSource,
  at: JsonPath,
  issuers: [string, Record<string, ClaimDeclaration>][],
  envs: ResolvedEnvironment[],
  c: Checker,
): string | undefined {
  const keys = Object.keys(cond);
  const combinators = keys.filter((k) => (COMBINATORS as readonly string[]).includes(k));
  const operators = keys.filter((k) => (OPERATORS as readonly string[]).includes(k));
  if (combinators.length > 0) {
    if (keys.length > 1) {
      c.report(
        "E_CONDITION_FORM",
        at,
        `a condition holds either one of all/any/not or one claim test, this one holds ${keys.join(", ")}`,
        "wrap the parts in `all: [ ... ]` (every one must hold) or `any: [ ... ]`",
      );
      return undefined;
    }
    if (cond.not) {
      checkCondition(cond.not, [...at, "not"], issuers, envs, c);
      return undefined;
    }
    const list = (cond.all ?? cond.any)!;
    const kind = cond.all ? "all" : "any";
    const reasons = list.map((x, i) => checkCondition(x, [...at, kind, i], issuers, envs, c));
    if (kind === "all") return reasons.find(Boolean) ?? contradictoryEquals(list);
    return reasons.every(Boolean) ? reasons[0] : undefined;
  }
  if (cond.claim === undefined || operators.length !== 1) {
    c.report(
      "E_CONDITION_FORM",
      at,
      cond.claim === undefined
        ? "a claim test needs `claim:`"
        : operators.length === 0
          ? `the test on claim '${cond.claim}' has no operator`
          : `the test on claim '${cond.claim}' has ${operators.length} operators (${operators.join(", ")})`,
      "write one claim and one operator: equals, in, contains, prefix, glob or exists; combine tests with all/any",
    );
    return undefined;
  }
  const op = operators[0] as (typeof OPERATORS)[number];
  let never: string | undefined;
  for (const [issuerName, claims] of issuers) {
    const decl = ownValue(claims, cond.claim);
    if (!decl) {
      const guess = closest(cond.claim, Object.keys(claims));
      c.report(
        "E_UNDECLARED_CLAIM",
        [...at, "claim"],
        `claim '${cond.claim}' is not declared by issuer '${issuerName}'`,
        guess
          ? `did you mean '${guess}'? Only declared claims can be used`
          : `declare it under issuers.${issuerName}.claims with its type`,
      );
      return undefined;
    }
    const misfit = operatorMisfit(op, decl);
    if (misfit) {
      c.report(
        "E_CLAIM_TYPE",
        [...at, op],
        `'${op}' does not apply to claim '${cond.claim}' of type ${decl.type}`,
        misfit,
        { key: true },
      );
      return undefined;
    }
    if (op === "exists") continue;
    const values: Scalar[] = op === "in" ? cond.in! : [cond[op] as Scalar];
    const fits = values.map((v) => valueFits(v, decl, op, envs));
    const wrongType = fits.find((f) => f.wrongType);
    if (wrongType) {
      c.report(
        "E_CLAIM_TYPE",
        [...at, op],
        `${JSON.stringify(wrongType.value)} is not a ${elementType(decl)}, the type of claim '${cond.claim}'`,
        `write a ${elementType(decl)} value`,
      );
      return undefined;
    }
    if (fits.every((f) => f.never)) never = `claim '${cond.claim}' ${fits[0].never}`;
  }
  return never;
}

function operatorMisfit(op: string, decl: ClaimDeclaration): string | undefined {
  const list = decl.type === "string[]";
  if (op === "contains" && !list)
    return `use 'equals' (or 'in') on a single-valued claim; 'contains' tests list claims (string[])`;
  if ((op === "equals" || op === "in") && list) return `use 'contains' to test whether the list holds a value`;
  if ((op === "prefix" || op === "glob") && decl.type !== "string") return `'${op}' tests string claims only`;
  return undefined;
}

function elementType(decl: ClaimDeclaration): string {
  return decl.type === "string[]" ? "string" : decl.type;
}

/** Whether a condition value can ever equal a claim value of this declaration (per environment for ${env.x}). */
function valueFits(
  value: Scalar,
  decl: ClaimDeclaration,
  op: string,
  envs: ResolvedEnvironment[],
): { value: Scalar; wrongType?: boolean; never?: string } {
  if (typeof value !== elementType(decl)) return { value, wrongType: true };
  if (typeof value !== "string" || op === "prefix" || op === "glob") return { value };
  const variants = value.includes("${env.") ? envs.map((e) => substituteEnv(value, e.values)) : [value];
  for (const v of variants) {
    if (decl.format === "uuid" && !UUID.test(v))
      return { value, never: `is declared as a uuid, and ${JSON.stringify(value)} is not one` };
    if (decl.pattern && !patternProblem(decl.pattern) && !compileLinearPattern(`^(?:${decl.pattern})$`).test(v)) {
      return {
        value,
        never: `is declared with pattern ${decl.pattern}, which ${JSON.stringify(value)} does not match`,
      };
    }
    if (decl.enum && !decl.enum.includes(v))
      return { value, never: `is declared as one of ${decl.enum.join(", ")}, not ${JSON.stringify(value)}` };
  }
  return { value };
}

function contradictoryEquals(list: ConditionSource[]): string | undefined {
  const seen = new Map<string, Scalar>();
  for (const x of list) {
    if (x.claim === undefined || x.equals === undefined) continue;
    const prev = seen.get(x.claim);
    if (prev !== undefined && prev !== x.equals)
      return `claim '${x.claim}' cannot equal both ${JSON.stringify(prev)} and ${JSON.stringify(x.equals)}`;
    seen.set(x.claim, x.equals);
  }
  return undefined;
}

function checkCycles(doc: PolicyDocument, c: Checker): void {
  const state = new Map<string, "visiting" | "done">();
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === "done" || !hasOwnName(doc.roles, name)) return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const from = cycle[cycle.length - 2];
      const key = [...cycle].sort().join(",");
      if (!reported.has(key)) {
        reported.add(key);
        const i = ownValue(doc.roles, from)!.inherits!.indexOf(name);
        c.report(
          "E_INHERITANCE_CYCLE",
          ["roles", from, "inherits", i],
          `roles inherit in a cycle: ${cycle.join(" -> ")}`,
          `remove '${name}' from the inherits of '${from}'; inheritance must form a tree`,
        );
      }
      return;
    }
    state.set(name, "visiting");
    for (const parent of ownValue(doc.roles, name)!.inherits ?? []) visit(parent, [...trail, name]);
    state.set(name, "done");
  };
  for (const name of Object.keys(doc.roles)) visit(name, []);
}

/** Two roles with the same condition, issuers and stages are one role written twice: merge them. */
function checkShadowing(doc: PolicyDocument, c: Checker): void {
  const first = new Map<string, string>();
  for (const [name, role] of Object.entries(doc.roles)) {
    const key = canonicalJson({ when: role.when, issuers: role.issuers ?? null, stages: role.stages ?? null });
    const earlier = first.get(key);
    if (earlier) {
      c.report(
        "E_SHADOWED",
        ["roles", name, "when"],
        `role '${name}' has the same condition, issuers and stages as role '${earlier}'`,
        `merge the two: move the grants of '${name}' into '${earlier}' (or make '${name}' inherit it with a narrower condition)`,
      );
    } else {
      first.set(key, name);
    }
  }
}
