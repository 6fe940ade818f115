/**
 * The pull-request review comment: one markdown body built from `policy check`, `policy test`, `policy diff` and
 * (optionally) `policy replay`. It leads with a one-line verdict and a summary table; the details per environment
 * and role sit in collapsed <details> blocks, so a change that touches 200 roles stays readable.
 *
 * GitHub refuses a comment body over 65,536 characters (REST API "Create an issue comment": `body` too long
 * -> 422), so the body is cut to a budget with a line saying what was left out; the workflow writes the
 * uncut diff to the job summary.
 */
import { ownValue } from "../runtime/own";
import { canonicalJson } from "../authoring/canonical-json";
import type { PolicyChange, PolicyDiff } from "./diff";
import type { Capability } from "./effective-access";
import { gapText, type ReplayReport } from "./replay-report";

/** The workflow finds its own comment by this marker and edits it instead of adding another. */
export const REVIEW_MARKER = "<!-- token-broker:policy-review -->";

export type Verdict = "widens" | "narrows" | "unchanged";

export interface SideStatus {
  label: string;
  errors: number;
  /** The first few diagnostics, formatted (file:line:column message). */
  messages: string[];
}

export interface ReviewInput {
  base: SideStatus;
  head: SideStatus;
  tests?: { passed: number; failed: number; failures: string[]; missing?: boolean };
  /** Absent when a side has errors (nothing to compare). */
  diff?: PolicyDiff;
  /** Display name per environment in the diff (`pr-1` -> `pr-*`). */
  environmentLabels?: Record<string, string>;
  replay?: ReplayReport;
  /** Where the full output lives (the workflow run). */
  detailsUrl?: string;
}

export interface ReviewResult {
  verdict: Verdict;
  /** check passed on both sides and every policy test passed. */
  checksPassed: boolean;
  markdown: string;
}

export const COMMENT_BUDGET = 60_000;

type Kind = "access" | "ttl" | "edge" | "issuer" | "rbac" | "environment";

/**
 * Sorts a change into the section it belongs to. A TTL change is an access change whose capabilities before and
 * after are the same except for their ttl (the diff's structured `access`, lib/policy/review/diff.ts).
 */
export function kindOf(c: PolicyChange): Kind {
  if (c.scope.startsWith("CDN edge")) return "edge";
  if (c.scope.startsWith("issuer ")) return "issuer";
  if (c.scope.startsWith("Cosmos RBAC")) return "rbac";
  if (c.scope.startsWith("environment ")) return "environment";
  if (c.access && isTtlOnly(c.access.before, c.access.after)) return "ttl";
  return "access";
}

function isTtlOnly(before: Capability[], after: Capability[]): boolean {
  if (before.length === 0 || before.length !== after.length) return false;
  const shape = (caps: Capability[]) => canonicalJson(caps.map(({ ttlSeconds: _ttl, ...rest }) => rest));
  return shape(before) === shape(after) && canonicalJson(before) !== canonicalJson(after);
}

export function verdictOf(diff: PolicyDiff | undefined): Verdict {
  if (!diff || diff.unchanged) return "unchanged";
  if (diff.widens) return "widens";
  return diff.groups.some((g) => g.changes.some((c) => c.direction === "narrows")) ? "narrows" : "unchanged";
}

const MARK = { widens: "🔺 **widens**", narrows: "🔽 narrows", neutral: "▫️ changes" } as const;

export function renderReviewComment(input: ReviewInput, budget = COMMENT_BUDGET): ReviewResult {
  const checksPassed =
    input.base.errors === 0 && input.head.errors === 0 && (input.tests?.failed ?? 0) === 0 && !input.tests?.missing;
  const verdict = verdictOf(input.diff);
  const failing = checksPassed ? "" : input.tests?.missing ? " · ❌ no policy tests" : " · ❌ policy tests fail";
  const line = verdictLine(input, verdict);
  const head: string[] = [
    REVIEW_MARKER,
    line.includes("cannot compare") ? line : line + failing,
    "",
    statusLine(input),
    "",
  ];
  if (input.diff && !input.diff.unchanged) head.push(...summaryTable(input), "");
  head.push(...checkProblems(input));
  if (input.replay) head.push(...replaySection(input.replay), "");

  const sections = input.diff ? environmentSections(input) : [];
  const footer = [
    "",
    `<sub>Rendered by \`token-broker policy review\`${input.detailsUrl ? ` · [full output](${input.detailsUrl})` : ""}. ` +
      "Widening needs a second reviewer.</sub>",
  ];
  let body = head.join("\n");
  let shown = 0;
  const size = (s: string) => s.length + 1;
  const footerSize = footer.join("\n").length + 200;
  for (const s of sections) {
    if (body.length + size(s.text) + footerSize > budget) break;
    body += `\n${s.text}`;
    shown++;
  }
  if (shown < sections.length) {
    const rest = sections.slice(shown);
    const widening = rest.filter((s) => s.widens).length;
    body +=
      `\n\n> ✂️ ${rest.length} more section(s) not shown (${widening} of them widen): GitHub caps a comment's size. ` +
      "The job summary has the whole diff; locally: `npx token-broker policy diff <base> <head>`.";
  }
  return { verdict, checksPassed, markdown: `${body}\n${footer.join("\n")}\n` };
}

function verdictLine(input: ReviewInput, verdict: Verdict): string {
  if (input.base.errors > 0 || input.head.errors > 0) {
    const side = input.head.errors > 0 ? `head \`${input.head.label}\`` : `base \`${input.base.label}\``;
    return `## ❌ Access policy review: cannot compare, the ${side} has errors`;
  }
  const envs = input.diff?.groups ?? [];
  const envCount = (dir: "widens" | "narrows") =>
    envs.filter((g) => g.changes.some((c) => c.direction === dir)).flatMap((g) => g.environments).length;
  switch (verdict) {
    case "widens":
      return `## 🔺 Access policy review: **widens** access in ${envCount("widens")} environment(s)`;
    case "narrows":
      return `## 🔽 Access policy review: narrows access in ${envCount("narrows")} environment(s), widens none`;
    default:
      return "## ✅ Access policy review: unchanged, no one gains or loses access";
  }
}

function statusLine(input: ReviewInput): string {
  const check = (s: SideStatus) => (s.errors === 0 ? "✔" : `✘ ${s.errors} error(s)`);
  const parts = [
    `\`${input.base.label}\` → \`${input.head.label}\``,
    `check: base ${check(input.base)}, head ${check(input.head)}`,
  ];
  const t = input.tests;
  if (t)
    parts.push(
      t.missing
        ? "tests: ✘ none found"
        : t.failed === 0
          ? `tests: ✔ ${t.passed} passed`
          : `tests: ✘ ${t.failed} failed, ${t.passed} passed`,
    );
  if (input.replay)
    parts.push(
      `replay: ${input.replay.callersGaining} caller(s) gain, ${input.replay.callersLosing} lose` +
        (input.replay.cannotTell.length > 0 ? `, ❔ cannot tell for ${input.replay.cannotTell.length} role(s)` : ""),
    );
  return parts.join(" · ");
}

function checkProblems(input: ReviewInput): string[] {
  const out: string[] = [];
  for (const [name, s] of [
    ["base", input.base],
    ["head", input.head],
  ] as const) {
    if (s.errors === 0) continue;
    out.push(`**${name} \`${s.label}\`: ${s.errors} error(s)**`, "", "```", ...s.messages, "```", "");
  }
  if (input.tests && input.tests.failed > 0) {
    const more =
      input.tests.failed > input.tests.failures.length
        ? [`… ${input.tests.failed - input.tests.failures.length} more`]
        : [];
    out.push(
      `<details><summary><b>Failing policy tests</b> (${input.tests.failed})</summary>`,
      "",
      "```",
      ...input.tests.failures,
      ...more,
      "```",
      "",
      "</details>",
      "",
    );
  }
  return out;
}

interface Counts {
  roles: Set<string>;
  gained: number;
  lost: number;
  ttlUp: number;
  ttlDown: number;
  edge: number;
  other: number;
}

function countChanges(changes: PolicyChange[]): Counts {
  const c: Counts = { roles: new Set(), gained: 0, lost: 0, ttlUp: 0, ttlDown: 0, edge: 0, other: 0 };
  for (const ch of changes) {
    const kind = kindOf(ch);
    if (ch.scope.startsWith("role ")) c.roles.add(ch.scope);
    if (kind === "ttl") ch.direction === "widens" ? c.ttlUp++ : c.ttlDown++;
    else if (kind === "edge") c.edge++;
    else if (kind === "access")
      ch.direction === "widens" ? c.gained++ : ch.direction === "narrows" ? c.lost++ : c.other++;
    else c.other++;
  }
  return c;
}

function envNames(input: ReviewInput, envs: string[]): string {
  return envs.map((e) => `\`${ownValue(input.environmentLabels, e) ?? e}\``).join(", ");
}

function summaryTable(input: ReviewInput): string[] {
  const rows = [
    "| Environments | Roles changed | Access gained | Access lost | TTL ⬆ / ⬇ | Edge rules | Issuers, RBAC, other |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const g of input.diff!.groups) {
    const c = countChanges(g.changes);
    const gained = c.gained > 0 ? `🔺 ${c.gained}` : "0";
    rows.push(
      `| ${envNames(input, g.environments)} | ${c.roles.size} | ${gained} | ${c.lost} | ` +
        `${c.ttlUp} / ${c.ttlDown} | ${c.edge} | ${c.other} |`,
    );
  }
  return rows;
}

interface Section {
  text: string;
  widens: boolean;
}

/** Per environment group: one collapsed block per role, then TTL, edge-rule, issuer and RBAC changes. */
function environmentSections(input: ReviewInput): Section[] {
  const out: Section[] = [];
  for (const g of input.diff!.groups) {
    out.push({
      text: `\n### ${g.environments.length > 1 ? "Environments" : "Environment"} ${envNames(input, g.environments)}\n`,
      widens: false,
    });
    const byScope = new Map<string, PolicyChange[]>();
    // TTL and edge-rule changes get sections of their own below, not a second mention in the role's block.
    for (const c of g.changes)
      if (kindOf(c) !== "edge" && kindOf(c) !== "ttl") byScope.set(c.scope, [...(byScope.get(c.scope) ?? []), c]);
    // Widening roles first: they are what the second reviewer must read.
    const scopes = [...byScope.entries()].sort(
      ([, a], [, b]) => Number(b.some(isWidening)) - Number(a.some(isWidening)),
    );
    const open = scopes.length <= 5 ? " open" : "";
    for (const [scope, changes] of scopes) {
      const gained = changes.filter((c) => c.direction === "widens").length;
      const lost = changes.filter((c) => c.direction === "narrows").length;
      const counts =
        [gained ? `🔺 ${gained} widening` : "", lost ? `🔽 ${lost} narrowing` : ""].filter(Boolean).join(", ") ||
        "changes";
      const ordered = [...changes].sort((a, b) => rank(a) - rank(b));
      const lines = [
        `<details${open}><summary>${escapeHtml(scope)}: ${counts}</summary>`,
        "",
        ...ordered.map(line),
        "",
        "</details>",
      ];
      out.push({ text: lines.join("\n"), widens: gained > 0 });
    }
    const ttl = g.changes.filter((c) => kindOf(c) === "ttl");
    if (ttl.length > 0) {
      out.push({
        text: ["", "#### TTL changes", "", ...ttl.map((c) => `- ${c.scope}: ${line(c).slice(2)}`)].join("\n"),
        widens: ttl.some(isWidening),
      });
    }
    const edge = g.changes.filter((c) => kindOf(c) === "edge");
    if (edge.length > 0) {
      out.push({
        text: [
          "",
          "#### Edge rules (Front Door / WAF)",
          "",
          ...edge.map((c) => `- ${c.scope}: ${line(c).slice(2)}`),
        ].join("\n"),
        widens: edge.some(isWidening),
      });
    }
  }
  return out;
}

const isWidening = (c: PolicyChange) => c.direction === "widens";
const rank = (c: PolicyChange) => (c.direction === "widens" ? 0 : c.direction === "narrows" ? 1 : 2);
const line = (c: PolicyChange) => `- ${MARK[c.direction]}: ${c.text}`;

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function replaySection(r: ReplayReport): string[] {
  const out = [
    `**Replay** of ${r.replayed} recorded exchange(s) from \`${r.source}\` under both policies ` +
      `(environment \`${r.environment}\`)` +
      (r.malformed.count > 0 ? `; ${r.malformed.count} malformed line(s) skipped` : "") +
      (r.skipped > 0 ? `; ${r.skipped} record(s) not replayable` : "") +
      ":",
    "",
  ];
  const undecided = r.cannotTell.map(
    (u) =>
      `- ❔ role \`${u.role}\`: **cannot tell**: ${gapText(u)} (${u.callers} caller(s), ${u.exchanges} exchange(s) ` +
      "it might have answered)",
  );
  if (undecided.length > 0)
    out.push(
      "Replay cannot tell for these roles: they read claims (or a Fluid document's owner) the recorded exchanges do " +
        "not hold, so a gain or loss " +
        "through them would not show below.",
      "",
      ...undecided,
      "",
    );
  if (r.gains.length === 0 && r.losses.length === 0)
    return [
      ...out,
      undecided.length > 0
        ? "no gain or loss found through the roles replay could decide."
        : "no recorded caller would gain or lose access.",
    ];
  out.push("| | Role | Backend | Access | Callers | Exchanges | Example subjects |", "|---|---|---|---|---:|---:|---|");
  const row = (mark: string, g: ReplayReport["gains"][number]) =>
    `| ${mark} | ${g.role} | ${g.backend} | ${g.what} | ${g.callers} | ${g.exchanges} | ${g.subjects
      .slice(0, 3)
      .map((s) => `\`${s}\``)
      .join(", ")}${g.callers > 3 ? ", …" : ""} |`;
  for (const g of r.gains.slice(0, 20)) out.push(row("🔺 gains", g));
  for (const g of r.losses.slice(0, 20)) out.push(row("🔽 loses", g));
  const hidden = Math.max(0, r.gains.length - 20) + Math.max(0, r.losses.length - 20);
  if (hidden > 0) out.push("", `${hidden} more row(s) in \`policy replay --json\`.`);
  return out;
}
