/** What `policy replay` found: which recorded callers would gain or lose which access, per role and backend. */

export interface AccessChangeGroup {
  /** The role whose grant gives (gains: under head) or gave (losses: under base) the access. */
  role: string;
  backend: "cosmos" | "fluid" | "cdn";
  /** The access, as `documents read → all`, `denied → /tenants/x/ 15m`. */
  what: string;
  /** Distinct subjects. */
  callers: number;
  exchanges: number;
  /** Sorted; at most MAX_SUBJECTS. */
  subjects: string[];
}

export type ClaimGap = "not recorded" | "recorded as a keyed hash";

/**
 * A role replay cannot decide for some recorded exchanges: it reads claims those records do not hold, or it scopes
 * Fluid documents by owner and the records do not say who owns the document asked for.
 */
export interface UndecidedRole {
  role: string;
  claims: { claim: string; why: ClaimGap }[];
  /** Present when an owner-scoped Fluid grant needs the document's owner and a record does not hold it. */
  documentOwner?: "not recorded";
  /** Distinct subjects whose exchanges the role might have answered. */
  callers: number;
  exchanges: number;
  /** Sorted; at most MAX_SUBJECTS. */
  subjects: string[];
}

export interface ReplayReport {
  source: string;
  environment: string;
  /** Lines read (blank lines excluded). */
  records: number;
  /** Records re-evaluated under both policies. */
  replayed: number;
  /** Lines that are not JSON or not an audit record: counted, never fatal. */
  malformed: { count: number; lines: number[] };
  /** Audit records that cannot be replayed (a rejected token, no recorded request or claims). */
  skipped: number;
  gains: AccessChangeGroup[];
  losses: AccessChangeGroup[];
  /** Distinct subjects with at least one gain / loss (a caller can be in several groups). */
  callersGaining: number;
  callersLosing: number;
  /**
   * Roles whose answer replay cannot know: never "nobody gains" while this is not empty. Their changes are left out
   * of gains and losses (an unrecorded claim would be evaluated as absent).
   */
  cannotTell: UndecidedRole[];
}

/** `claim \`groups\` was not recorded, claim \`upn\` was recorded as a keyed hash, the Fluid document's owner was not recorded`. */
export function gapText(u: UndecidedRole): string {
  const gaps = u.claims.map((c) => `claim \`${c.claim}\` was ${c.why}`);
  if (u.documentOwner) gaps.push(`the Fluid document's owner was ${u.documentOwner}`);
  return gaps.join(", ");
}

export const MAX_SUBJECTS = 10;
export const MAX_MALFORMED_LINES = 20;

export function formatReplay(r: ReplayReport): string {
  const lines = [
    `replay of ${r.source} in environment ${r.environment}: ${r.records} line(s), ${r.replayed} exchange(s) replayed, ` +
      `${r.skipped} not replayable, ${r.malformed.count} malformed` +
      (r.malformed.count > 0
        ? ` (line ${r.malformed.lines.join(", ")}${r.malformed.count > r.malformed.lines.length ? ", …" : ""})`
        : ""),
  ];
  if (r.gains.length === 0 && r.losses.length === 0 && r.cannotTell.length === 0)
    lines.push("no recorded caller would gain or lose access");
  else if (r.gains.length === 0 && r.losses.length === 0)
    lines.push(`cannot tell whether recorded callers would gain access: ${r.cannotTell.length} role(s) undecided`);
  else
    lines.push(
      `${r.callersGaining} caller(s) would gain access, ${r.callersLosing} would lose access` +
        (r.cannotTell.length > 0 ? `; ${r.cannotTell.length} role(s) undecided` : ""),
    );
  for (const [label, list] of [
    ["gain", r.gains],
    ["lose", r.losses],
  ] as const) {
    for (const g of list) {
      lines.push(
        `${label === "gain" ? "+" : "-"} ${g.callers} caller(s), ${g.exchanges} exchange(s) would ${label} ${g.backend} ${g.what} ` +
          `(role ${g.role}): ${g.subjects.join(", ")}${g.callers > g.subjects.length ? ", …" : ""}`,
      );
    }
  }
  for (const u of r.cannotTell) {
    lines.push(
      `? role ${u.role}, ${u.callers} caller(s), ${u.exchanges} exchange(s): cannot tell: ${gapText(u)}: ` +
        `${u.subjects.join(", ")}${u.callers > u.subjects.length ? ", …" : ""}`,
    );
  }
  return lines.join("\n");
}
