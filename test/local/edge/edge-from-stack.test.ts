/**
 * The edge program read from real synthesized stacks of the example policy: routes from patterns_to_match, the WAF
 * policy through the security policy's association, CORS headers from the rule set; refusals for what it cannot run.
 */
import { examplePolicyText, synthEnvironment } from "../../stacks/helpers";
import { edgeFromStack } from "../../../lib/local/edge/edge-from-stack";
import { compileRuleSetRule } from "../../../lib/local/edge/rule-set-rules";
import { synthesizeFrontDoor } from "../../../lib/local/edge/synth-front-door";
import type { EdgeRequest } from "../../../lib/local/edge/waf-match";
import { compileLocal } from "../../../lib/local/dev/local-policy";
import { ROOT } from "../../policy/helpers";
import { join } from "node:path";

const req = (target: string, over: Partial<EdgeRequest> = {}): EdgeRequest => ({
  method: "GET",
  target,
  headers: {},
  socketAddress: "127.0.0.1",
  country: "US",
  ...over,
});
const DEV_PAGE = "https://docs-dev.contoso.com";

describe("the dev stack (Standard Front Door, the example policy's edge rules)", () => {
  const { json } = synthEnvironment("dev");
  const edge = edgeFromStack(json);

  it("routes the policy's prefixes and nothing else", () => {
    expect(edge.routes.map((r) => r.patterns)).toEqual([["/public/*"], ["/tenants/*"]]);
    expect(edge.decide(req("/elsewhere/a.svg")).kind).toBe("no-route");
  });

  it("blocks KP, IR and unknown (ZZ) callers under /tenants/ with the policy's 403, and not under /public/", () => {
    for (const country of ["KP", "IR", "ZZ"]) {
      const v = edge.decide(req("/tenants/t/logo.svg", { country, headers: { referer: `${DEV_PAGE}/` } }));
      expect(v).toMatchObject({ kind: "deny", waf: { status: 403, rule: "GeoDeny1" } });
      expect(edge.decide(req("/public/a.svg", { country })).kind).toBe("forward");
    }
  });

  it("admits the app's own pages as referrers and refuses others and none", () => {
    const at = (headers: Record<string, string>) => edge.decide(req("/tenants/t/logo.svg", { headers })).kind;
    expect(at({ referer: `${DEV_PAGE}/editor` })).toBe("forward");
    expect(at({ referer: "https://evil.example/" })).toBe("deny");
    expect(at({})).toBe("deny");
  });

  it("answers CORS per allowed origin from the rule set (not '*'), and nothing to another origin", () => {
    const v = edge.decide(req("/public/a.svg", { headers: { origin: DEV_PAGE } }));
    if (v.kind !== "forward") throw new Error(v.kind);
    expect(v.responseHeaders({ "content-type": "image/svg+xml" })).toEqual({
      "content-type": "image/svg+xml",
      "access-control-allow-origin": DEV_PAGE,
      vary: "Origin",
      "x-content-type-options": "nosniff",
      "strict-transport-security": "max-age=31536000",
    });
    const other = edge.decide(req("/public/a.svg", { headers: { origin: "https://evil.example" } }));
    if (other.kind !== "forward") throw new Error(other.kind);
    expect(other.responseHeaders({})["access-control-allow-origin"]).toBeUndefined();
  });

  it("a policy's denial status reaches the edge's answer", () => {
    const text = examplePolicyText().replace("denialStatus: 403", "denialStatus: 429");
    const edited = edgeFromStack(synthEnvironment("dev", { policyText: text }).json);
    expect(edited.decide(req("/tenants/t/a", { country: "KP" }))).toMatchObject({ kind: "deny", waf: { status: 429 } });
  });
});

it("the prod stack's managed rule set (Premium) is refused unless the caller asks to skip it", () => {
  const { json } = synthEnvironment("prod");
  expect(() => edgeFromStack(json)).toThrow(/Microsoft_DefaultRuleSet 2.1 cannot be evaluated locally/);
  expect(edgeFromStack(json, { managedRules: "skip" }).decide(req("/tenants/t/a", { country: "KP" })).kind).toBe(
    "deny",
  );
});

it("the `local` environment's Front Door synthesizes in-process, and its edge admits the demo page's referrer", () => {
  const compiled = compileLocal(join(ROOT, "policies"), "http://127.0.0.1:7071", "http://127.0.0.1:7070");
  if (!compiled.ok) throw new Error("the example policy does not compile for local");
  const edge = edgeFromStack(synthesizeFrontDoor(compiled.infra));
  expect(edge.decide(req("/tenants/t/a", { headers: { referer: "http://127.0.0.1:7070/" } })).kind).toBe("forward");
  expect(edge.decide(req("/tenants/t/a", { headers: { referer: "http://127.0.0.1:9999/" } })).kind).toBe("deny");
});

it("the Front Door synthesized alone carries exactly the rules of the whole platform's stack", () => {
  const { json, compiled } = synthEnvironment("dev");
  const alone = synthesizeFrontDoor(compiled.infra) as { resource: Record<string, Record<string, any>> };
  const rules = (resources: Record<string, Record<string, any>>) => {
    const waf = Object.values(resources.azurerm_cdn_frontdoor_firewall_policy);
    return {
      waf: waf.map((w) => [w.mode, w.enabled, w.custom_block_response_status_code, w.custom_rule, w.managed_rule]),
      ruleSet: Object.values(resources.azurerm_cdn_frontdoor_rule)
        .map((r) => [r.order, r.behavior_on_match, r.conditions, r.actions])
        .sort((a, b) => a[0] - b[0]),
      routes: Object.values(resources.azurerm_cdn_frontdoor_route).map((r) => r.patterns_to_match),
      association: Object.values(resources.azurerm_cdn_frontdoor_security_policy).map(
        (p) => p.security_policies.firewall.association.patterns_to_match,
      ),
    };
  };
  const whole = rules(json.resource);
  expect(whole.waf[0][3]).toHaveLength(2); // GeoDeny and RefAllow: the comparison is not between empty lists
  expect(rules(alone.resource)).toEqual(whole);
});

it("refuses rule-set conditions and actions it does not interpret, naming the rule", () => {
  const base = { name: "R", order: 1, cdn_frontdoor_rule_set_id: "${azurerm_cdn_frontdoor_rule_set.s.id}" };
  expect(() =>
    compileRuleSetRule({ ...base, actions: { url_redirect_action: [{ redirect_type: "Moved" }] } }, "r1"),
  ).toThrow("rules engine rule r1: action(s) url_redirect_action are not interpreted by the local edge");
  expect(() =>
    compileRuleSetRule(
      {
        ...base,
        conditions: { remote_address_condition: [{ operator: "GeoMatch", match_values: ["US"] }] },
        actions: { response_header_action: [{ header_action: "Overwrite", header_name: "x", value: "y" }] },
      },
      "r2",
    ),
  ).toThrow("rules engine rule r2: condition(s) remote_address_condition are not interpreted by the local edge");
});

it("refuses a stack without a Front Door endpoint", () => {
  expect(() => edgeFromStack({ resource: {} })).toThrow("the stack has 0 Front Door endpoints");
});
