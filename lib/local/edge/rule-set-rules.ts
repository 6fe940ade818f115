/**
 * The part of Front Door's rules engine the stacks use (`azurerm_cdn_frontdoor_rule` as synthesized): response header
 * actions, optionally under request header conditions. That is how the edge answers CORS per allowed origin
 * (lib/constructs/front-door.ts: one rule per origin, `Origin` Equal -> Access-Control-Allow-Origin + Vary).
 * Semantics (learn.microsoft.com/azure/frontdoor/front-door-rules-engine): the rule sets of a route run in the route's
 * order, rules by ascending `order`; a rule applies when all its conditions hold; `behavior_on_match: Stop` skips
 * the remaining rules; Overwrite sets a header, Append adds to it, Delete removes it. Unset fields take azurerm's
 * defaults (behavior_on_match Continue, negate_condition false: cdn_frontdoor_rule_resource.go at v4.55.0).
 * Any other condition or action is refused, naming the rule.
 */
import { applyTransform, EdgeRuleError, isRecord, TRANSFORMS, type EdgeRequest } from "./waf-match";

export interface CompiledRuleSetRule {
  readonly name: string;
  readonly ruleSet: string;
  readonly order: number;
  /** Rewrites `headers` (lower-case names) of the response when the rule applies; returns whether to stop. */
  apply(request: EdgeRequest, headers: Record<string, string>): "continue" | "stop";
}

const RULE_KEYS = new Set([
  "name",
  "cdn_frontdoor_rule_set_id",
  "order",
  "behavior_on_match",
  "conditions",
  "actions",
  "depends_on",
]);
const HEADER_CONDITION_KEYS = new Set(["header_name", "operator", "negate_condition", "match_values", "transforms"]);
// `Any` is left out on purpose: whether it matches a request without the header is not documented; refused.
const STRING_OPERATORS: Record<string, (v: string, m: string[]) => boolean> = {
  Equal: (v, m) => m.includes(v),
  Contains: (v, m) => m.some((x) => v.includes(x)),
  BeginsWith: (v, m) => m.some((x) => v.startsWith(x)),
  EndsWith: (v, m) => m.some((x) => v.endsWith(x)),
};

export function compileRuleSetRule(raw: unknown, id: string): CompiledRuleSetRule {
  const refuse = (why: string) => new EdgeRuleError(`rules engine rule ${id}: ${why}`);
  if (!isRecord(raw)) throw refuse("not an object");
  const unknown = Object.keys(raw).filter((k) => !RULE_KEYS.has(k));
  if (unknown.length > 0) throw refuse(`unknown field(s) ${unknown.join(", ")}`);
  const behavior = raw.behavior_on_match ?? "Continue";
  if (behavior !== "Continue" && behavior !== "Stop") throw refuse(`unknown behavior_on_match '${String(behavior)}'`);
  if (typeof raw.order !== "number") throw refuse("order must be a number");
  if (typeof raw.cdn_frontdoor_rule_set_id !== "string") throw refuse("cdn_frontdoor_rule_set_id must be a reference");
  const conditions = compileConditions(raw.conditions ?? {}, refuse);
  const actions = compileActions(raw.actions, refuse);
  return {
    name: String(raw.name),
    ruleSet: raw.cdn_frontdoor_rule_set_id,
    order: raw.order,
    apply(request, headers) {
      if (!conditions.every((c) => c(request))) return "continue";
      for (const a of actions) a(headers);
      return behavior === "Stop" ? "stop" : "continue";
    },
  };
}

function compileConditions(raw: unknown, refuse: (why: string) => Error): ((r: EdgeRequest) => boolean)[] {
  if (!isRecord(raw)) throw refuse("conditions must be an object");
  const kinds = Object.keys(raw).filter((k) => k !== "request_header_condition");
  if (kinds.length > 0) throw refuse(`condition(s) ${kinds.join(", ")} are not interpreted by the local edge`);
  const list = raw.request_header_condition ?? [];
  if (!Array.isArray(list)) throw refuse("request_header_condition must be a list");
  return list.map((c, i) => {
    const at = (why: string) => refuse(`request_header_condition ${i + 1}: ${why}`);
    if (!isRecord(c)) throw at("not an object");
    const unknown = Object.keys(c).filter((k) => !HEADER_CONDITION_KEYS.has(k));
    if (unknown.length > 0) throw at(`unknown field(s) ${unknown.join(", ")}`);
    if (typeof c.header_name !== "string" || c.header_name === "") throw at("header_name must be a header name");
    const op = STRING_OPERATORS[String(c.operator)];
    if (!op)
      throw at(
        `operator '${String(c.operator)}' is not interpreted (known: ${Object.keys(STRING_OPERATORS).join(", ")})`,
      );
    const values = c.match_values ?? [];
    if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) throw at("match_values must be strings");
    if (values.length === 0) throw at(`${String(c.operator)} needs match_values`);
    const transforms = (c.transforms ?? []) as unknown[];
    if (!Array.isArray(transforms)) throw at("transforms must be a list");
    for (const t of transforms)
      if (!(TRANSFORMS as readonly unknown[]).includes(t)) throw at(`unknown transform '${String(t)}'`);
    const negate = c.negate_condition ?? false;
    const name = c.header_name.toLowerCase();
    return (r: EdgeRequest) => {
      const found = Object.entries(r.headers).find(([k]) => k.toLowerCase() === name)?.[1];
      const value =
        found === undefined
          ? undefined
          : (transforms as (typeof TRANSFORMS)[number][]).reduce((v, t) => applyTransform(t, v), found);
      const matched = value !== undefined && op(value, values as string[]);
      return negate ? !matched : matched;
    };
  });
}

function compileActions(raw: unknown, refuse: (why: string) => Error): ((h: Record<string, string>) => void)[] {
  if (!isRecord(raw)) throw refuse("actions must be an object");
  const kinds = Object.keys(raw).filter((k) => k !== "response_header_action");
  if (kinds.length > 0) throw refuse(`action(s) ${kinds.join(", ")} are not interpreted by the local edge`);
  const list = raw.response_header_action;
  if (!Array.isArray(list) || list.length === 0) throw refuse("a rule needs at least one action");
  return list.map((a, i) => {
    const at = (why: string) => refuse(`response_header_action ${i + 1}: ${why}`);
    if (!isRecord(a) || typeof a.header_name !== "string" || a.header_name === "") throw at("header_name is missing");
    const name = a.header_name.toLowerCase();
    const value = a.value;
    if (a.header_action === "Delete") return (h) => void delete h[name];
    if (typeof value !== "string") throw at(`${String(a.header_action)} needs a value`);
    if (a.header_action === "Overwrite") return (h) => void (h[name] = value);
    if (a.header_action === "Append")
      return (h) => void (h[name] = h[name] === undefined ? value : `${h[name]}, ${value}`);
    throw at(`unknown header_action '${String(a.header_action)}'`);
  });
}
