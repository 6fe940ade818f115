/**
 * The Function App runs its Node worker with the broker's V8 heap flags (functions-src/memory-budget.ts), the same
 * flags the soak benchmark runs with: what the soak measures is what production runs.
 */
import { execFileSync } from "node:child_process";
import { NODE_ARGUMENTS_SETTING } from "../../lib/constructs/broker-function";
import { MAX_OLD_SPACE_MB, MAX_SEMI_SPACE_MB, NODE_WORKER_ARGUMENTS } from "../../functions-src/memory-budget";
import { only, synthEnvironment } from "./helpers";

describe("the broker's Node worker arguments", () => {
  it.each(["prod", "pr-7"])("are an app setting of the %s Function App", (env) => {
    const app = only(synthEnvironment(env).json.resource, "azurerm_function_app_flex_consumption");
    expect(NODE_ARGUMENTS_SETTING).toBe("languageWorkers__node__arguments");
    expect(app.app_settings[NODE_ARGUMENTS_SETTING]).toBe(
      `--max-old-space-size=${MAX_OLD_SPACE_MB} --max-semi-space-size=${MAX_SEMI_SPACE_MB}`,
    );
  });

  it("are flags node accepts, and V8 applies them", () => {
    const limit = execFileSync(
      process.execPath,
      [...NODE_WORKER_ARGUMENTS.split(" "), "-p", "require('node:v8').getHeapStatistics().heap_size_limit"],
      { encoding: "utf8" },
    );
    // The heap limit is the old generation's cap plus the young generation (three semi-spaces' worth in V8 11-12).
    const mb = Number(limit) / 2 ** 20;
    expect(mb).toBeGreaterThanOrEqual(MAX_OLD_SPACE_MB);
    expect(mb).toBeLessThanOrEqual(MAX_OLD_SPACE_MB + 4 * MAX_SEMI_SPACE_MB);
  });
});
