/**
 * The Cosmos metadata collector as an Azure Functions timer (every 10 minutes by default, bounded work per run).
 * On wherever the broker mints Cosmos resource tokens, with or without the shared store: its deletes are conditional
 * on the `_etag` it listed, so a concurrent mint on any instance wins (functions-src/mint/cosmos-cleanup.ts).
 * A timer function runs on one instance at a time however far the app scales out (Functions holds a blob lease for
 * it: learn.microsoft.com/azure/azure-functions/functions-bindings-timer, "Scale-out"), which saves duplicate work;
 * safety does not depend on it.
 * Settings: COSMOS_GC_SCHEDULE (NCRONTAB), COSMOS_GC_EXPIRED_FOR_SECONDS (default 86400), COSMOS_GC_MAX_USERS
 * (default 500), COSMOS_GC=off to stop collecting.
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
  if (env.COSMOS_GC === "off") return Promise.resolve(undefined);
  return store.then((s) => {
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
