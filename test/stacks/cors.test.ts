/**
 * CORS in the synthesized stacks, per environment of the example, from environments.yaml's allowedOrigins:
 * Function App platform CORS, the Cosmos account's cors_rule, read-only blob CORS, and Front Door's per-origin
 * Allow-Origin rules. Port patterns (development) stay out of platform settings.
 */
import { Testing } from "cdktf";
import { CosmosDb } from "../../lib/constructs/cosmos-db";
import { all, only, synthEnvironment, type Resources } from "./helpers";

const cases = [
  ["dev", ["https://docs-dev.contoso.com"]],
  ["prod", ["https://docs.contoso.com"]],
  ["pr-7", ["https://docs-dev.contoso.com"]],
] as const;

describe.each(cases)("%s", (env, exact) => {
  const { json, compiled } = synthEnvironment(env);
  const r = json.resource;

  it("carries the environment's origins into the runtime config (patterns included, for the broker itself)", () => {
    expect(compiled.config.cors?.allowedOrigins).toEqual(
      env === "prod" ? [...exact] : [...exact, "http://localhost:*"],
    );
  });

  it("sets the Function App's platform CORS to the exact origins, without credentials", () => {
    expect(only(r, "azurerm_function_app_flex_consumption").site_config.cors).toEqual({
      allowed_origins: [...exact],
      support_credentials: false,
    });
  });

  it("gives the Cosmos account a cors_rule for the exact origins with a bounded max age", () => {
    const rule = only(r, "azurerm_cosmosdb_account").cors_rule;
    expect(rule.allowed_origins).toEqual([...exact]);
    expect(rule.max_age_in_seconds).toBeLessThanOrEqual(7200);
  });

  it("lets the exact origins GET and HEAD blobs, nothing else", () => {
    const [rule] = only(r, "azurerm_storage_account").blob_properties.cors_rule;
    expect(rule).toMatchObject({ allowed_origins: [...exact], allowed_methods: ["GET", "HEAD"] });
  });

  it("has Front Door answer each exact origin with its own Allow-Origin", () => {
    const rules = all(r, "azurerm_cdn_frontdoor_rule").filter((x) => String(x.name).startsWith("CorsOrigin"));
    expect(rules.map((x) => x.conditions.request_header_condition[0].match_values)).toEqual(exact.map((o) => [o]));
    expect(rules.map((x) => x.actions.response_header_action[0])).toEqual(
      exact.map((o) => expect.objectContaining({ header_name: "Access-Control-Allow-Origin", value: o })),
    );
  });
});

it("no origins, or only development port patterns: no platform CORS, and a warning names the left-out pattern", () => {
  const synthCosmos = (allowedOrigins?: string[]) => {
    let warnings: string[] = [];
    const json = Testing.synthScope((scope) => {
      const cosmos = new CosmosDb(scope, "cosmos", {
        name: "cosmos-x",
        location: "westeurope",
        resourceGroupName: "rg",
        database: "db",
        capacity: { mode: "serverless" },
        allowedOrigins,
        tags: {},
      });
      warnings = cosmos.node.metadata
        .filter((m) => m.type === "aws:cdk:warning" || m.type === "@cdktf/warn" || /warn/i.test(m.type))
        .map((m) => String(m.data));
    });
    return {
      account: Object.values((JSON.parse(json) as { resource: Resources }).resource.azurerm_cosmosdb_account)[0],
      warnings,
    };
  };
  expect(synthCosmos().account.cors_rule).toBeUndefined();
  const patternsOnly = synthCosmos(["http://localhost:*"]);
  expect(patternsOnly.account.cors_rule).toBeUndefined();
  expect(patternsOnly.warnings.join("\n")).toContain("http://localhost:*");
});
