/**
 * What a Front Door endpoint does with a request, read from a synthesized stack (the Terraform JSON of `cdktf synth`):
 * which route takes the path, whether the WAF policy associated with the endpoint lets it through, and which response
 * headers the route's rule sets write. The local edge (lib/local/dev/cdn-edge.ts) runs exactly this, so the rules a
 * policy compiles into are executed before they are deployed.
 * Resources read: azurerm_cdn_frontdoor_route, _rule, _security_policy, _firewall_policy. References between them are
 * the synthesized `${type.name.id}` expressions, matched as written. One endpoint and at most one security policy
 * (what lib/constructs/front-door.ts makes); anything else is refused rather than guessed.
 */
import { compileRuleSetRule, type CompiledRuleSetRule } from "./rule-set-rules";
import { EdgeRuleError, isRecord, type EdgeRequest } from "./waf-match";
import { compileWafPolicy, type CompiledWafPolicy, type WafCompileOptions, type WafDecision } from "./waf-rules";

export interface EdgeRoute {
  readonly name: string;
  readonly patterns: string[];
  readonly rules: CompiledRuleSetRule[];
}

export type EdgeVerdict =
  | { kind: "no-route" }
  | { kind: "deny"; route: string; waf: WafDecision & { action: "block" } }
  | { kind: "redirect"; route: string; location: string; waf: WafDecision }
  | {
      kind: "forward";
      route: string;
      waf: WafDecision;
      responseHeaders(origin: Record<string, string>): Record<string, string>;
    };

export interface EdgeProgram {
  readonly routes: EdgeRoute[];
  readonly waf?: CompiledWafPolicy;
  decide(request: EdgeRequest): EdgeVerdict;
}

type Resources = Record<string, Record<string, unknown>>;

/** An environment without a Front Door (a policy without CDN prefixes): no route takes anything. */
export const NO_FRONT_DOOR: EdgeProgram = { routes: [], decide: () => ({ kind: "no-route" }) };

export function edgeFromStack(stackJson: unknown, options: WafCompileOptions = {}): EdgeProgram {
  const resources = (isRecord(stackJson) && isRecord(stackJson.resource) ? stackJson.resource : {}) as Resources;
  const of = (type: string) => Object.entries(resources[type] ?? {});
  const endpoints = of("azurerm_cdn_frontdoor_endpoint");
  if (endpoints.length !== 1)
    throw new EdgeRuleError(`the stack has ${endpoints.length} Front Door endpoints; the local edge plays exactly one`);

  const rulesBySet = new Map<string, CompiledRuleSetRule[]>();
  for (const [id, raw] of of("azurerm_cdn_frontdoor_rule")) {
    const rule = compileRuleSetRule(raw, id);
    rulesBySet.set(rule.ruleSet, [...(rulesBySet.get(rule.ruleSet) ?? []), rule]);
  }
  const routes = of("azurerm_cdn_frontdoor_route")
    .map(([id, raw]) => {
      if (!isRecord(raw)) throw new EdgeRuleError(`route ${id}: not an object`);
      if (raw.enabled === false) return undefined;
      const patterns = raw.patterns_to_match;
      if (!Array.isArray(patterns) || !patterns.every(isPathPattern))
        throw new EdgeRuleError(`route ${id}: patterns_to_match must be paths, '*' only at the end`);
      const setIds = (raw.cdn_frontdoor_rule_set_ids ?? []) as string[];
      const rules = setIds.flatMap((s) => [...(rulesBySet.get(s) ?? [])].sort((a, b) => a.order - b.order));
      return { name: String(raw.name ?? id), patterns: patterns as string[], rules };
    })
    .filter((r): r is EdgeRoute => r !== undefined);
  if (routes.length === 0) throw new EdgeRuleError("the stack has no Front Door route: nothing for the edge to serve");

  const waf = wafOf(of("azurerm_cdn_frontdoor_security_policy"), resources, options);
  return {
    routes,
    waf: waf?.policy,
    decide(request) {
      const path = request.target.split("?")[0];
      const route = bestRoute(routes, path);
      if (!route) return { kind: "no-route" };
      const decision: WafDecision =
        waf && waf.patterns.some((p) => matchesPattern(p, path))
          ? waf.policy.evaluate(request)
          : { action: "pass", logged: [] };
      if (decision.action === "block") return { kind: "deny", route: route.name, waf: decision };
      if (decision.action === "redirect")
        return { kind: "redirect", route: route.name, location: decision.location, waf: decision };
      return {
        kind: "forward",
        route: route.name,
        waf: decision,
        responseHeaders(origin) {
          const headers = { ...origin };
          for (const rule of route.rules) if (rule.apply(request, headers) === "stop") break;
          return headers;
        },
      };
    },
  };
}

function wafOf(securityPolicies: [string, unknown][], resources: Resources, options: WafCompileOptions) {
  if (securityPolicies.length === 0) return undefined;
  if (securityPolicies.length > 1)
    throw new EdgeRuleError(`the stack has ${securityPolicies.length} security policies; the local edge reads one`);
  const [id, raw] = securityPolicies[0];
  const firewall = isRecord(raw) && isRecord(raw.security_policies) ? raw.security_policies.firewall : undefined;
  if (!isRecord(firewall) || !isRecord(firewall.association))
    throw new EdgeRuleError(`security policy ${id}: no firewall association`);
  const ref = /^\$\{azurerm_cdn_frontdoor_firewall_policy\.([^.]+)\.id\}$/.exec(
    String(firewall.cdn_frontdoor_firewall_policy_id),
  );
  const policy = ref && resources.azurerm_cdn_frontdoor_firewall_policy?.[ref[1]];
  if (!ref || !policy) throw new EdgeRuleError(`security policy ${id}: its firewall policy is not in the stack`);
  const patterns = firewall.association.patterns_to_match;
  if (!Array.isArray(patterns) || !patterns.every(isPathPattern))
    throw new EdgeRuleError(`security policy ${id}: patterns_to_match must be paths, '*' only at the end`);
  return { policy: compileWafPolicy(policy, ref[1], options), patterns: patterns as string[] };
}

function isPathPattern(p: unknown): boolean {
  return typeof p === "string" && p.startsWith("/") && !p.slice(0, -1).includes("*");
}

/** `/tenants/*` covers `/tenants/` and everything below it; a pattern without `*` is one exact path. */
function matchesPattern(pattern: string, path: string): boolean {
  return pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/** Front Door picks the most specific pattern: an exact path first, then the longest wildcard prefix. */
function bestRoute(routes: EdgeRoute[], path: string): EdgeRoute | undefined {
  let best: { route: EdgeRoute; score: number } | undefined;
  for (const route of routes)
    for (const p of route.patterns) {
      if (!matchesPattern(p, path)) continue;
      const score = p.endsWith("*") ? p.length : Number.MAX_SAFE_INTEGER;
      if (!best || score > best.score) best = { route, score };
    }
  return best?.route;
}
