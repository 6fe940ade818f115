/**
 * The Cosmos metadata collector as an Azure Functions timer (every 10 minutes by default, bounded work per run).
 * Settings: COSMOS_GC_SCHEDULE (NCRONTAB), COSMOS_GC_EXPIRED_FOR_SECONDS (default 86400), COSMOS_GC_MAX_USERS
 * (default 500). It needs the shared store (where the minters record their callers' credential expiry): with the
 * in-memory store it runs only when COSMOS_GC_SINGLE_INSTANCE=true (one instance mints and collects).
 */
import type { InvocationContext, Timer } from "@azure/functions";
import { cosmosSdk } from "../load-sdk";
import { collectCosmosGarbage, type GcResult } from "../mint/cosmos-cleanup";
import { cosmosSettings } from "../settings";
import type { SharedStore } from "../store/shared-store";

export interface TimerRegistrar {
  timer(
    name: string,
    options: {
      schedule: string;
      runOnStartup?: boolean;
      handler: (timer: Timer, context: InvocationContext) => Promise<void>;
    },
  ): void;
}

export function registerCosmosGcTimer(
  app: TimerRegistrar,
  run: () => Promise<GcResult | undefined>,
  schedule = process.env.COSMOS_GC_SCHEDULE ?? "0 */10 * * * *",
): void {
  app.timer("cosmosGc", {
    schedule,
    runOnStartup: false,
    handler: async (_timer, context) => {
      const result = await run();
      // Counts only: no user id, subject or key.
      if (result) context.log("cosmos gc", result);
    },
  });
}

export function cosmosGcFromEnvironment(
  env: NodeJS.ProcessEnv,
  store: Promise<SharedStore>,
): Promise<GcResult | undefined> {
  const settings = cosmosSettings(env);
  if (!settings) return Promise.resolve(undefined);
  return store.then((s) => {
    if (s.scope !== "shared" && env.COSMOS_GC_SINGLE_INSTANCE !== "true") return undefined;
    const c = settings();
    return collectCosmosGarbage(
      new (cosmosSdk().CosmosClient)({ endpoint: c.endpoint, key: c.key }).database(c.database),
      {
        store: s,
        expiredForSeconds: Number(env.COSMOS_GC_EXPIRED_FOR_SECONDS ?? 86_400),
        maxUsersPerRun: Number(env.COSMOS_GC_MAX_USERS ?? 500),
      },
    );
  });
}
