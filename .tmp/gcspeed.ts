import { CosmosClient } from "../node_modules/@azure/cosmos";
import { collectCosmosGarbage } from "../functions-src/mint/cosmos-cleanup";
import { CosmosRestContractDouble } from "../lib/local/cosmos-rest-contract-double";
(async () => {
  const d = await new CosmosRestContractDouble("db", { items: "/t" }).start();
  const now = Date.now();
  for (let i = 0; i < 300; i++) d.seedForSoak(`u${i}`, "items", now - 3 * 86400_000);
  const db = new CosmosClient({ endpoint: d.endpoint, key: d.key }).database("db");
  const t = Date.now();
  const r = await collectCosmosGarbage(db, { maxUsersPerRun: 300, expiredForSeconds: 3600 });
  console.log(r, Date.now() - t, "ms", d.calls.length);
  const counts: Record<string, number> = {};
  for (const c of d.calls) counts[c] = (counts[c] ?? 0) + 1;
  console.log(counts);
  await d.stop();
})();
