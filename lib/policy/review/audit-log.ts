/**
 * Reads audit records from JSON lines. Accepted line shapes (docs/replay.md):
 *   {"audit": {...}}                                   the broker's own stdout line
 *   {"TimeGenerated": ..., "Message": "<line>", ...}   a Log Analytics `AppTraces` row (workspace-based App Insights)
 *   {"timestamp": ..., "message": "<line>", ...}       a classic Application Insights `traces` row
 * where <line> contains the broker's `{"audit": ...}` JSON (a host prefix before it is tolerated). Anything else is
 * counted as malformed with its line number, never fatal: an export is often cut or mixed with other traces.
 */
import type { AccessRequest } from "../runtime/access-request";

export interface ReplayableRecord {
  line: number;
  event: "issued" | "denied";
  policy?: string;
  subject: string;
  issuer: string;
  claims: Record<string, unknown>;
  hashed: string[];
  asked: AccessRequest;
  /** The caller's relation to the Fluid document's recorded owner, when the broker looked it up. */
  owner?: "none" | "tenant" | "creator";
}

export interface AuditLogRead {
  records: number;
  replayable: ReplayableRecord[];
  malformedLines: number[];
  skipped: number;
}

export function readAuditLines(text: string): AuditLogRead {
  const replayable: ReplayableRecord[] = [];
  const counts = forEachAuditRecord(text, (r) => replayable.push(r));
  return { ...counts, replayable };
}

export type AuditLogCounts = Omit<AuditLogRead, "replayable">;

/** Streams the replayable records to `visit` without keeping them: 100,000 records stay cheap to hold. */
export function forEachAuditRecord(text: string, visit: (record: ReplayableRecord) => void): AuditLogCounts {
  const out: AuditLogCounts = { records: 0, malformedLines: [], skipped: 0 };
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    lineNo++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === "") continue;
    out.records++;
    const audit = auditOf(raw);
    if (audit === undefined) {
      out.malformedLines.push(lineNo);
      continue;
    }
    const record = replayable(audit, lineNo);
    if (record) visit(record);
    else out.skipped++;
  }
  return out;
}

function auditOf(raw: string): Record<string, unknown> | undefined {
  const row = parse(raw);
  if (!isObject(row)) return undefined;
  if (isObject(row.audit)) return row.audit;
  const message = row.Message ?? row.message;
  if (typeof message !== "string") return undefined;
  const at = message.indexOf('{"audit"');
  if (at === -1) return undefined;
  const inner = parse(message.slice(at));
  return isObject(inner) && isObject(inner.audit) ? inner.audit : undefined;
}

/** Rejected tokens and records written before the broker kept claims cannot be replayed. */
function replayable(a: Record<string, unknown>, line: number): ReplayableRecord | undefined {
  if (a.event !== "issued" && a.event !== "denied") return undefined;
  if (typeof a.subject !== "string" || typeof a.issuer !== "string" || !isObject(a.claims) || !isObject(a.asked))
    return undefined;
  const type = a.asked.type;
  if (type !== "cosmos" && type !== "fluid" && type !== "cdn") return undefined;
  return {
    line,
    event: a.event,
    policy: typeof a.policy === "string" ? a.policy : undefined,
    subject: a.subject,
    issuer: a.issuer,
    claims: a.claims,
    hashed: Array.isArray(a.hashed) ? a.hashed.filter((h): h is string => typeof h === "string") : [],
    asked: a.asked as AccessRequest,
    owner: a.owner === "none" || a.owner === "tenant" || a.owner === "creator" ? a.owner : undefined,
  };
}

function parse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
