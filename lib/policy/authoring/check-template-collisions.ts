/**
 * Template collisions (issue 7, item 1): two different callers must never get overlapping scopes from one template.
 * With `documents: "${claims.tid}-*"` and a tid that may hold '-', tenant `contoso` reaches `contoso-evil-doc1`,
 * a document of tenant `contoso-evil`.
 *
 * The rule (README "Template collisions"), proved by reading a scope left to right: every `${claims.x}` must start
 * at a fixed place (no `*` before it) and end at a fixed place: the end of the template (Cosmos, Fluid), a fixed
 * length the declaration proves, or a literal separator the declaration proves the value cannot hold. Then a scope
 * names exactly one tuple of claim values. What cannot be proved is reported, with two colliding example values.
 */
import { ownValue } from "../runtime/own";
import type { Checker } from "./checker";
import { claimShape, combinedShape, type ClaimShape } from "./claim-shape";
import { roleIssuers } from "./document-queries";
import { patternProblem } from "../runtime/linear-match";
import type { PolicyDocument, RoleSource } from "./source-types";
import { matchesDocumentPattern, parseTemplate, unsafeValueReason, type TemplatePart } from "../runtime/template";

export type TemplateKind = "cosmos" | "fluid" | "cdn";

export interface TemplateCollision {
  claim: string;
  /** Offset of the placeholder in the template text. */
  offset: number;
  why: string;
  fix: string;
}

const FIELD: Record<TemplateKind, string> = { cosmos: "partitionKey", fluid: "documents", cdn: "prefix" };

export function checkTemplateCollisions(doc: PolicyDocument, c: Checker): void {
  for (const [name, role] of Object.entries(doc.roles)) {
    (role.grants ?? []).forEach((grant, i) => {
      const kind = Object.keys(grant)[0] as TemplateKind;
      const template = (grant as unknown as Record<string, Record<string, unknown>>)[kind][FIELD[kind]];
      if (typeof template !== "string") return;
      const shapeOf = roleClaimShapes(doc, role);
      const found = findTemplateCollision(template, kind, shapeOf);
      if (!found) return;
      const example = collidingExample(template, kind, shapeOf);
      const shown = example
        ? `: ${example.b} and ${example.a} both reach '${example.scope}'`
        : " (the check found no example value the declaration admits, but cannot prove there is none)";
      c.report(
        "E_TEMPLATE_AMBIGUOUS",
        ["roles", name, "grants", i, kind, FIELD[kind]],
        `${found.why}${shown}`,
        found.fix,
        { offset: found.offset },
      );
    });
  }
}

/**
 * A declaration's shape, made once per declaration object: compiling a policy asks for the same few declarations
 * once per role, and reading a pattern builds regular expressions (most of a 10,000-role compile before this memo).
 * Declarations are never changed after loading; the memo goes with them.
 */
const shapeOfDeclaration = new WeakMap<object, ClaimShape | "invalid">();
function declaredShape(decl: Parameters<typeof claimShape>[0]): ClaimShape | undefined {
  let shape = shapeOfDeclaration.get(decl);
  if (shape === undefined) {
    shape = decl.pattern !== undefined && !validPattern(decl.pattern) ? "invalid" : claimShape(decl);
    shapeOfDeclaration.set(decl, shape);
  }
  return shape === "invalid" ? undefined : shape;
}

/** The claims' shapes as every issuer of the role declares them; undefined for an undeclared claim. */
export function roleClaimShapes(doc: PolicyDocument, role: RoleSource): (claim: string) => ClaimShape | undefined {
  const issuers = roleIssuers(doc, role);
  return (claim) => {
    const shapes: ClaimShape[] = [];
    for (const [, claims] of issuers) {
      const decl = ownValue(claims, claim);
      // Undeclared claims and invalid patterns are reported by other checks; one problem, one diagnostic.
      const shape = decl === undefined ? undefined : declaredShape(decl);
      if (shape === undefined) return undefined;
      shapes.push(shape);
    }
    return shapes.length === 0 ? undefined : combinedShape(shapes);
  };
}

/** The first placeholder whose start or end a scope does not fix, or undefined when the template is unambiguous. */
export function findTemplateCollision(
  template: string,
  kind: TemplateKind,
  shapeOf: (claim: string) => ClaimShape | undefined,
): TemplateCollision | undefined {
  const parts = parseTemplate(template).parts;
  let startFixed = true;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if ("text" in p) {
      if (kind === "fluid" && p.text.includes("*")) startFixed = false;
      continue;
    }
    if (p.ref !== "claims") continue;
    const shape = shapeOf(p.name);
    if (!shape) continue; // undeclared: check-grants reports it
    const ref = `\${claims.${p.name}}`;
    const at = { claim: p.name, offset: p.start };
    const lengthFix = `or with a fixed length (format: uuid, or a pattern such as "^[0-9a-f]{32}$")`;
    if (!startFixed) {
      return {
        ...at,
        why: `${ref} comes after a '*', so where its value starts is not fixed`,
        fix: `put every \${claims.x} before the first '*', e.g. "${ref}-*"`,
      };
    }
    if (shape.fixedLength !== undefined) continue;
    const next = parts[i + 1];
    // At the end: Cosmos and Fluid match whole values; a CDN prefix must end in '/', which check-grants reports.
    if (next === undefined) continue;
    if ("text" in next) {
      const sep = next.text[0];
      if (sep === "*") return undefined; // '*' directly beside a placeholder: check-grants reports it (E_TEMPLATE)
      if (!shape.mayContain(sep)) continue;
      return {
        ...at,
        why: `claim '${p.name}' (${shape.describe}) may contain '${sep}', the separator after ${ref}, so where its value ends is not fixed`,
        fix: `declare '${p.name}' with a pattern that excludes '${sep}' (e.g. "^[a-z0-9]{1,36}$") ${lengthFix}; or separate with a character no claim value can hold, such as '/'`,
      };
    }
    const what =
      next.ref === "claims"
        ? `\${claims.${next.name}} directly follows ${ref}`
        : `${ref} is followed by \${${next.ref}.${next.name}}, whose first character the check cannot know`;
    return {
      ...at,
      why: `${what}, so where '${p.name}' ends is not fixed`,
      fix: `put a literal separator that '${p.name}' cannot hold between them (such as '/' in a CDN prefix), or declare '${p.name}' ${lengthFix.slice(3)}`,
    };
  }
  return undefined;
}

/**
 * Two claim-value tuples that the declarations admit and whose scopes overlap, found by a small search (the
 * placeholder at fault and its neighbour vary over words, splits and separator joins), or undefined.
 * Matching here is plain expansion, without the evaluator's run-time separator refusal: it shows what the
 * template alone would grant.
 */
export function collidingExample(
  template: string,
  kind: TemplateKind,
  shapeOf: (claim: string) => ClaimShape | undefined,
): { a: string; b: string; scope: string } | undefined {
  const parts = parseTemplate(template).parts;
  const claims = [...new Set(parts.flatMap((p) => ("ref" in p && p.ref === "claims" ? [p.name] : [])))];
  const separators = [...new Set(parts.flatMap((p) => ("text" in p ? [...p.text] : [])).concat(["-", "_", "."]))];
  const words = ["contoso", "evil", "1", "12", "2", "c", "con", "toso", "ontoso"];
  const candidates = (claim: string) => {
    const shape = shapeOf(claim);
    const joined = separators.flatMap((s) => [`contoso${s}evil`, `1${s}2`]);
    return [...new Set([...(shape?.samples ?? []), ...words, ...joined])].filter(
      (v) => unsafeValueReason(v) === undefined && (shape?.accepts(v) ?? true),
    );
  };
  const varying = claims.slice(0, 2);
  const fixed = Object.fromEntries(claims.slice(2).map((cl) => [cl, candidates(cl)[0] ?? "x"]));
  const tuples: Record<string, string>[] = [];
  const grow = (k: number, acc: Record<string, string>) => {
    if (k === varying.length) return void tuples.push({ ...fixed, ...acc });
    for (const v of candidates(varying[k])) grow(k + 1, { ...acc, [varying[k]]: v });
  };
  grow(0, {});
  const fill = (values: Record<string, string>) =>
    parts.map((p) => ("text" in p ? p.text : p.ref === "claims" ? values[p.name] : p.ref)).join("");
  for (const a of tuples) {
    const filled = fill(a);
    const scope = kind === "fluid" ? filled.replace(/\*/g, "doc1") : kind === "cdn" ? `${filled}file.png` : filled;
    for (const b of tuples) {
      if (show(a, varying) === show(b, varying)) continue;
      const other = fill(b);
      const overlaps =
        kind === "fluid"
          ? matchesDocumentPattern(other, scope)
          : kind === "cdn"
            ? scope.startsWith(other)
            : other === scope;
      if (overlaps) return { a: show(a, varying), b: show(b, varying), scope };
    }
  }
  return undefined;
}

function validPattern(pattern: string): boolean {
  return patternProblem(pattern) === undefined;
}

function show(values: Record<string, string>, names: string[]): string {
  return names.map((n) => `${n} '${values[n]}'`).join(", ");
}

/**
 * For the compiler: the claim parts of a compiled template whose end only a fixed length marks (followed by another
 * claim, or by a separator the value may hold) get that length, which the evaluator then enforces.
 */
export function withFixedLengths(
  parts: TemplatePart[],
  shapeOf: (claim: string) => ClaimShape | undefined,
): TemplatePart[] {
  return parts.map((p, i) => {
    if (typeof p === "string") return p;
    const next = parts[i + 1];
    const shape = shapeOf(p.claim);
    if (next === undefined || shape?.fixedLength === undefined) return p;
    if (typeof next === "string" && !shape.mayContain(next[0])) return p;
    return { claim: p.claim, length: shape.fixedLength };
  });
}
