/**
 * GC soak against the Cosmos REST contract double: many distinct callers over simulated days, the collector run
 * every simulated hour with a bounded budget, and at the end the users left must be exactly the active set (callers
 * whose latest mint, the user's `_ts`, is within 5 h (the longest token) + the grace period). Callers are recorded
 * through the double's bulk-seed hook (as the minter leaves them: a user per caller, created or touched at each
 * mint) and the store (their latest credential expiry, 1 h tokens, as the guarded minter records it; the instance
 * store here does not consult it); the collector works over real HTTP through the @azure/cosmos SDK.
 * `npm run soak:gc` runs 100,000 callers; the jest test runs a small one.
 */
import { CosmosClient } from "@azure/cosmos";
import {
  collectCosmosGarbage,
  COSMOS_TOKEN_MAX_SECONDS,
  recordCredentialExpiry,
} from "../../functions-src/mint/cosmos-cleanup";
import { cosmosUserPrefix } from "../../functions-src/mint/cosmos-minter";
import { MemoryStore } from "../../functions-src/store/memory-store";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";

export interface GcSoakOptions {
  callers: number;
  hours: number;
  /** Callers who come back every hour (never collected). */
  regulars: number;
  maxUsersPerRun: number;
  expiredForSeconds: number;
}

export interface GcSoakResult {
  callers: number;
  simulatedHours: number;
  runs: number;
  deleted: number;
  peakUsers: number;
  left: number;
  expectedActive: number;
  exact: boolean;
  wallSeconds: number;
}

export async function runGcSoak(o: GcSoakOptions): Promise<GcSoakResult> {
  const started = Date.now();
  let clock = Date.UTC(2026, 0, 1);
  const double = new CosmosRestContractDouble("db", { items: "/tenantId" });
  double.now = () => clock;
  await double.start();
  const store = new MemoryStore(100_000, () => clock);
  const db = new CosmosClient({ endpoint: double.endpoint, key: double.key }).database("db");
  const seen = new Map<string, { created: number; last: number }>(); // user id -> first and latest exchange
  const TTL_MS = 3_600_000;
  const exchange = async (subject: string) => {
    const id = `${cosmosUserPrefix("idp", subject)}s`;
    double.seedForSoak(id, "items", clock);
    await recordCredentialExpiry(store, "idp", subject, clock + TTL_MS, clock);
    seen.set(id, { created: seen.get(id)?.created ?? clock, last: clock });
  };
  const perHour = Math.ceil(o.callers / o.hours);
  let next = 0;
  let runs = 0;
  let deleted = 0;
  let peakUsers = 0;
  try {
    const gc = async () => {
      runs++;
      const r = await collectCosmosGarbage(db, {
        maxUsersPerRun: o.maxUsersPerRun,
        expiredForSeconds: o.expiredForSeconds,
        store,
        now: () => clock,
      });
      deleted += r.deleted;
      return r;
    };
    for (let hour = 0; hour < o.hours; hour++) {
      for (let i = 0; i < perHour && next < o.callers; i++) await exchange(`caller-${next++}`);
      for (let r = 0; r < o.regulars; r++) await exchange(`regular-${r}`);
      peakUsers = Math.max(peakUsers, double.userIds().length);
      await gc();
      clock += 3_600_000;
    }
    // Finish at the final time: bounded runs until one whole lap of the feed deletes nothing. The first lap may
    // start mid-feed (the cursor), so it only counts from the first wrap on.
    for (let lap = -1, deletedInLap = 0; ;) {
      const r = await gc();
      deletedInLap += r.deleted;
      if (!r.wrapped) continue;
      if (++lap > 0 && deletedInLap === 0) break;
      deletedInLap = 0;
    }
    const cutoff = clock / 1000 - COSMOS_TOKEN_MAX_SECONDS - o.expiredForSeconds;
    // Kept: the latest mint (the user's `_ts`) is after the cutoff; every token from it may still be alive then.
    const kept = ({ last }: { created: number; last: number }) => Math.floor(last / 1000) >= cutoff;
    const expected = [...seen]
      .filter(([, v]) => kept(v))
      .map(([id]) => id)
      .sort();
    const left = double.userIds().sort();
    return {
      callers: o.callers + o.regulars,
      simulatedHours: o.hours,
      runs,
      deleted,
      peakUsers,
      left: left.length,
      expectedActive: expected.length,
      exact: JSON.stringify(left) === JSON.stringify(expected),
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await double.stop();
  }
}

if (require.main === module) {
  const callers = Number(process.env.CALLERS ?? 100_000);
  runGcSoak({
    callers,
    hours: 72,
    regulars: 50,
    maxUsersPerRun: Math.ceil((callers / 72) * 4),
    expiredForSeconds: 3600,
  }).then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exitCode = r.exact ? 0 : 1;
  });
}
