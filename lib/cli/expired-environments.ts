/**
 * Which ephemeral environments are past their `expires-on` tag, from `az group list -o json`. Only resource groups
 * this project made are candidates (tag `managed-by: cdktf` and `env: pr-<n>`), so a scheduled destroy can never
 * pick an unrelated group. A pr-<n> group with a missing or unreadable `expires-on` is reported, never destroyed.
 */

export interface ExpiredEnvironment {
  resourceGroup: string;
  environment: string;
  pullRequest: number;
  expiresOn: string;
}

export interface ExpirySelection {
  expired: ExpiredEnvironment[];
  /** pr-<n> groups still within their lifetime. */
  live: string[];
  /** pr-<n> groups without a readable `expires-on` (reported for a human). */
  unreadable: string[];
}

const PR_ENV = /^pr-([1-9][0-9]{0,4})$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export class ResourceGroupListError extends Error {}

/** `now`'s UTC date must be after `expires-on` (the tag names the last day the environment may live). */
export function selectExpired(groups: unknown, now: Date): ExpirySelection {
  if (!Array.isArray(groups))
    throw new ResourceGroupListError("expected the JSON array printed by `az group list -o json`");
  const today = now.toISOString().slice(0, 10);
  const out: ExpirySelection = { expired: [], live: [], unreadable: [] };
  for (const g of groups) {
    if (typeof g !== "object" || g === null || typeof (g as { name?: unknown }).name !== "string") continue;
    const { name, tags } = g as { name: string; tags?: Record<string, unknown> | null };
    const env = typeof tags?.env === "string" ? tags.env : "";
    const pr = PR_ENV.exec(env);
    if (!pr || tags?.["managed-by"] !== "cdktf") continue;
    const expiresOn = tags["expires-on"];
    if (typeof expiresOn !== "string" || !isRealDay(expiresOn)) {
      out.unreadable.push(name);
      continue;
    }
    if (today > expiresOn)
      out.expired.push({ resourceGroup: name, environment: env, pullRequest: Number(pr[1]), expiresOn });
    else out.live.push(name);
  }
  out.expired.sort((a, b) => a.pullRequest - b.pullRequest);
  return out;
}

function isRealDay(s: string): boolean {
  const m = DAY.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
