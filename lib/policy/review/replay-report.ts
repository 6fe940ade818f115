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
  if (r.gains.length === 0 && r.losses.length === 0) lines.push("no recorded caller would gain or lose access");
  else lines.push(`${r.callersGaining} caller(s) would gain access, ${r.callersLosing} would lose access`);
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
  return lines.join("\n");
}
