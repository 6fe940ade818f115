/**
 * Which ephemeral environments are past their `expires-on` tag, from `az group list -o json`. A group is a candidate
 * only when all of these hold, so a scheduled destroy can never pick another project's group:
 * - its name is exactly the one the stacks give `<entry>-<n>` (lib/constructs/naming.ts, e.g. `rg-docs-pr-7`), for
 *   an ephemeral entry of this repository's environments.yaml and its workload;
 * - its tags say `managed-by: cdktf`, `env: <entry>-<n>` (the same n as the name) and `repository: <owner>/<name>`
 *   of this repository (written at synth, stacks/environments.ts).
 * A candidate with a missing or unreadable `expires-on` is reported, never destroyed. The destroy job asks again
 * right before destroying (`recheckGroup`): a push may have extended the environment since the selection ran.
 */
import { resourceName } from "../constructs/naming";

export interface ExpiredEnvironment {
  resourceGroup: string;
  environment: string;
  pullRequest: number;
  expiresOn: string;
}

export interface ExpirySelection {
  expired: ExpiredEnvironment[];
  /** Candidates still within their lifetime. */
  live: string[];
  /** Candidates without a readable `expires-on` (reported for a human). */
  unreadable: string[];
}

/** What makes a resource group this repository's ephemeral environment. */
export interface SweepScope {
  /** GitHub owner/name; must equal the group's `repository` tag. */
  repository: string;
  /** Each ephemeral entry of environments.yaml (`pr`) with its `azure.workload` (`docs`). */
  ephemeral: { entry: string; workload: string }[];
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export class ResourceGroupListError extends Error {}

/** `now`'s UTC date must be after `expires-on` (the tag names the last day the environment may live). */
export function selectExpired(groups: unknown, now: Date, scope: SweepScope): ExpirySelection {
  if (!Array.isArray(groups))
    throw new ResourceGroupListError("expected the JSON array printed by `az group list -o json`");
  if (!scope.repository) throw new ResourceGroupListError("no repository to match the `repository` tag against");
  if (scope.ephemeral.length === 0)
    throw new ResourceGroupListError("environments.yaml has no ephemeral entry: nothing can be an expired pr-<n>");
  const today = now.toISOString().slice(0, 10);
  const out: ExpirySelection = { expired: [], live: [], unreadable: [] };
  for (const g of groups) {
    const match = candidate(g, scope);
    if (!match) continue;
    const { name, environment, pullRequest, expiresOn } = match;
    if (typeof expiresOn !== "string" || !isRealDay(expiresOn)) out.unreadable.push(name);
    else if (today > expiresOn) out.expired.push({ resourceGroup: name, environment, pullRequest, expiresOn });
    else out.live.push(name);
  }
  out.expired.sort((a, b) => a.pullRequest - b.pullRequest);
  return out;
}

export type Recheck = { destroy: true } | { destroy: false; reason: string };

/** The one group (`az group show -o json`) the destroy job is about to destroy: still ours, and still expired? */
export function recheckGroup(group: unknown, expected: string, now: Date, scope: SweepScope): Recheck {
  if (typeof group !== "object" || group === null || Array.isArray(group))
    throw new ResourceGroupListError("expected the JSON object printed by `az group show -o json`");
  const name = (group as { name?: unknown }).name;
  if (name !== expected) return { destroy: false, reason: `the group read is '${String(name)}', not ${expected}` };
  const selection = selectExpired([group], now, scope);
  if (selection.expired.length === 1) return { destroy: true };
  if (selection.live.length === 1) {
    const tags = (group as { tags?: Record<string, unknown> }).tags;
    return {
      destroy: false,
      reason: `extended since the selection: expires-on is now ${String(tags?.["expires-on"])}`,
    };
  }
  if (selection.unreadable.length === 1) return { destroy: false, reason: "its expires-on tag is no longer readable" };
  return { destroy: false, reason: "it no longer has this repository's name and tags" };
}

function candidate(g: unknown, scope: SweepScope) {
  if (typeof g !== "object" || g === null || typeof (g as { name?: unknown }).name !== "string") return undefined;
  const { name, tags } = g as { name: string; tags?: Record<string, unknown> | null };
  if (!tags || tags["managed-by"] !== "cdktf" || tags.repository !== scope.repository) return undefined;
  const environment = typeof tags.env === "string" ? tags.env : "";
  for (const { entry, workload } of scope.ephemeral) {
    const n = new RegExp(`^${entry}-([1-9][0-9]{0,4})$`).exec(environment)?.[1];
    if (n && name === resourceName("resourceGroup", { workload, environment }))
      return { name, environment, pullRequest: Number(n), expiresOn: tags["expires-on"] };
  }
  return undefined;
}

function isRealDay(s: string): boolean {
  const m = DAY.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
