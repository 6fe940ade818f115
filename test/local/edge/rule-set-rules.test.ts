/**
 * The rules-engine subset the local edge runs (learn.microsoft.com/azure/frontdoor/front-door-rules-engine): header
 * actions in order, conditions ANDed, negation, Stop ending the rules, and refusal of what it does not interpret.
 */
import { compileRuleSetRule } from "../../../lib/local/edge/rule-set-rules";
import type { EdgeRequest } from "../../../lib/local/edge/waf-match";

const SET = "${azurerm_cdn_frontdoor_rule_set.s.id}";
const req = (headers: Record<string, string>): EdgeRequest => ({
  method: "GET",
  target: "/p/a",
  headers,
  socketAddress: "127.0.0.1",
  country: "US",
});
const header = (header_name: string, operator: string, match_values: string[], more: Record<string, unknown> = {}) => ({
  header_name,
  operator,
  match_values,
  ...more,
});
const rule = (order: number, conditions: unknown[], actions: unknown[], behavior_on_match?: string) =>
  compileRuleSetRule(
    {
      name: `R${order}`,
      order,
      cdn_frontdoor_rule_set_id: SET,
      ...(behavior_on_match && { behavior_on_match }),
      ...(conditions.length > 0 && { conditions: { request_header_condition: conditions } }),
      actions: { response_header_action: actions },
    },
    `r${order}`,
  );
const run = (rules: ReturnType<typeof rule>[], r: EdgeRequest, headers: Record<string, string> = {}) => {
  for (const x of rules) if (x.apply(r, headers) === "stop") break;
  return headers;
};

it("applies Overwrite, Append and Delete in order; a rule without conditions always applies", () => {
  const rules = [
    rule(1, [], [{ header_action: "Overwrite", header_name: "X-A", value: "1" }]),
    rule(2, [], [{ header_action: "Append", header_name: "x-a", value: "2" }]),
    rule(3, [], [{ header_action: "Delete", header_name: "Server" }]),
  ];
  expect(run(rules, req({}), { server: "azurite" })).toEqual({ "x-a": "1, 2" });
});

it("ANDs conditions, applies transforms and negation, and stops on Stop", () => {
  const cors = rule(
    1,
    [header("Origin", "Equal", ["https://app.example"], { transforms: ["Lowercase"] })],
    [{ header_action: "Overwrite", header_name: "Access-Control-Allow-Origin", value: "https://app.example" }],
    "Stop",
  );
  const fallback = rule(2, [], [{ header_action: "Overwrite", header_name: "X-Fallback", value: "yes" }]);
  expect(run([cors, fallback], req({ origin: "https://APP.example" }))).toEqual({
    "access-control-allow-origin": "https://app.example",
  });
  expect(run([cors, fallback], req({ origin: "https://evil.example" }))).toEqual({ "x-fallback": "yes" });
  const notFromApp = rule(
    3,
    [header("Origin", "BeginsWith", ["https://app."], { negate_condition: true }), header("X-B", "Contains", ["b"])],
    [{ header_action: "Overwrite", header_name: "X-Other", value: "1" }],
  );
  expect(run([notFromApp], req({ origin: "https://evil.example", "x-b": "abc" }))).toEqual({ "x-other": "1" });
  expect(run([notFromApp], req({ origin: "https://evil.example" }))).toEqual({});
  expect(run([notFromApp], req({ origin: "https://app.example", "x-b": "abc" }))).toEqual({});
});

it("refuses, naming the rule, operators and actions it does not interpret", () => {
  expect(() =>
    rule(1, [header("Origin", "Any", ["x"])], [{ header_action: "Overwrite", header_name: "a", value: "b" }]),
  ).toThrow("rules engine rule r1: request_header_condition 1: operator 'Any' is not interpreted");
  expect(() => rule(2, [], [{ header_action: "Rename", header_name: "a", value: "b" }])).toThrow(
    "rules engine rule r2: response_header_action 1: unknown header_action 'Rename'",
  );
  expect(() => rule(3, [], [], "Pause")).toThrow("rules engine rule r3: unknown behavior_on_match 'Pause'");
});
