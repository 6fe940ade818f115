/**
 * The WAF interpreter against rule shapes, checked against Microsoft's documented semantics
 * (learn.microsoft.com/azure/web-application-firewall/afds/waf-front-door-custom-rules) and azurerm 4.55's schema:
 * priority order, Log continues, Allow/Block/Redirect end, Detection blocks nothing, AND across conditions, OR across
 * values, negation, transforms before matching, size constraints in bytes; unknown shapes refused by name.
 */
import fc from "fast-check";
import { cdnFrontdoorFirewallPolicyCustomRuleToTerraform } from "@cdktf/provider-azurerm/lib/cdn-frontdoor-firewall-policy";
import { edgeRules as constructEdgeRules, type CdnPrefix } from "../../../lib/constructs/front-door";
import { EdgeRuleError, type EdgeRequest } from "../../../lib/local/edge/waf-match";
import { compileWafPolicy } from "../../../lib/local/edge/waf-rules";

const req = (over: Partial<EdgeRequest> = {}): EdgeRequest => ({
  method: "GET",
  target: "/tenants/t1/logo.svg?sv=1",
  headers: {},
  socketAddress: "127.0.0.1",
  country: "US",
  ...over,
});
const policy = (customRule: unknown[], extra: Record<string, unknown> = {}) =>
  compileWafPolicy(
    { mode: "Prevention", custom_block_response_status_code: 429, custom_rule: customRule, ...extra },
    "waf",
  );
const rule = (name: string, priority: number, action: string, match_condition: unknown[]) => ({
  name,
  priority,
  type: "MatchRule",
  action,
  enabled: true,
  match_condition,
});
const cond = (
  match_variable: string,
  operator: string,
  match_values: string[],
  more: Record<string, unknown> = {},
) => ({
  match_variable,
  operator,
  match_values,
  ...more,
});

describe("evaluation order and actions", () => {
  it("runs rules by ascending priority, whatever their order in the list; the first ending action decides", () => {
    const p = policy([
      rule("BlockAll", 20, "Block", [cond("RequestMethod", "Equal", ["GET"])]),
      rule("AllowGet", 10, "Allow", [cond("RequestMethod", "Equal", ["GET"])]),
    ]);
    expect(p.evaluate(req())).toEqual({ action: "allow", rule: "AllowGet", logged: [] });
  });

  it("Log records and goes on; Block answers the policy's status", () => {
    const p = policy([
      rule("LogIt", 1, "Log", [cond("RequestMethod", "Any", ["x"])]),
      rule("Deny", 2, "Block", [cond("RequestUri", "BeginsWith", ["/tenants/"])]),
    ]);
    expect(p.evaluate(req())).toEqual({ action: "block", rule: "Deny", status: 429, logged: ["LogIt"] });
  });

  it("Detection mode blocks nothing and logs what it would have done", () => {
    const p = policy([rule("Deny", 1, "Block", [cond("RequestUri", "Contains", ["logo"])])], { mode: "Detection" });
    expect(p.evaluate(req())).toEqual({ action: "pass", logged: ["Deny"] });
  });

  it("a disabled rule and a disabled policy decide nothing", () => {
    const off = { ...rule("Deny", 1, "Block", [cond("RequestUri", "Contains", ["logo"])]), enabled: false };
    expect(policy([off]).evaluate(req()).action).toBe("pass");
    const on = rule("Deny", 1, "Block", [cond("RequestUri", "Contains", ["logo"])]);
    expect(policy([on], { enabled: false }).evaluate(req()).action).toBe("pass");
  });

  it("Redirect sends the client to the policy's redirect_url", () => {
    const p = policy([rule("Away", 1, "Redirect", [cond("RequestMethod", "Equal", ["GET"])])], {
      redirect_url: "https://example.com/blocked",
    });
    expect(p.evaluate(req())).toMatchObject({ action: "redirect", location: "https://example.com/blocked" });
  });

  it("defaults: status 403 when the policy sets none, priority 1 when a rule sets none", () => {
    const p = compileWafPolicy(
      {
        mode: "Prevention",
        custom_rule: [
          { name: "D", type: "MatchRule", action: "Block", match_condition: [cond("RequestMethod", "Any", ["x"])] },
        ],
      },
      "waf",
    );
    expect(p.evaluate(req())).toMatchObject({ action: "block", status: 403 });
  });
});

describe("match conditions", () => {
  const blocks = (c: unknown, r: EdgeRequest) => policy([rule("R", 1, "Block", [c])]).evaluate(r).action === "block";

  it("ANDs the conditions of a rule and ORs the values of a condition", () => {
    const p = policy([
      rule("R", 1, "Block", [
        cond("RequestUri", "BeginsWith", ["/tenants/"]),
        cond("SocketAddr", "GeoMatch", ["KP", "IR"]),
      ]),
    ]);
    expect(p.evaluate(req({ country: "IR" })).action).toBe("block");
    expect(p.evaluate(req({ country: "KP" })).action).toBe("block");
    expect(p.evaluate(req({ country: "US" })).action).toBe("pass");
    expect(p.evaluate(req({ country: "IR", target: "/public/a" })).action).toBe("pass");
  });

  it("applies transforms before matching, and negation after", () => {
    const c = cond("RequestHeader", "BeginsWith", ["https://app.example/"], {
      selector: "Referer",
      transforms: ["Trim", "Lowercase"],
      negation_condition: true,
    });
    expect(blocks(c, req({ headers: { referer: "  HTTPS://APP.example/page" } }))).toBe(false);
    expect(blocks(c, req({ headers: { referer: "https://evil.example/" } }))).toBe(true);
    // No Referer at all: the string test fails, so the negated condition holds (an allow list refuses it).
    expect(blocks(c, req())).toBe(true);
  });

  it("reads headers by name whatever their case, cookies by name, the query string without '?'", () => {
    expect(
      blocks(cond("RequestHeader", "Equal", ["x"], { selector: "X-Thing" }), req({ headers: { "x-thing": "x" } })),
    ).toBe(true);
    expect(blocks(cond("Cookies", "Equal", ["b"], { selector: "a" }), req({ headers: { cookie: "z=1; a=b" } }))).toBe(
      true,
    );
    expect(blocks(cond("QueryString", "Equal", ["sv=1"]), req())).toBe(true);
  });

  it("UrlDecode and RemoveNulls normalize before matching", () => {
    expect(
      blocks(cond("RequestUri", "Contains", ["../"], { transforms: ["UrlDecode"] }), req({ target: "/a/%2e%2e%2fb" })),
    ).toBe(true);
    expect(blocks(cond("RequestUri", "Contains", ["../"]), req({ target: "/a/%2e%2e%2fb" }))).toBe(false);
    expect(
      blocks(cond("RequestUri", "Contains", ["ab"], { transforms: ["RemoveNulls"] }), req({ target: "/a\0b" })),
    ).toBe(true);
  });

  it("size operators compare the value's length in bytes", () => {
    const long = req({ target: `/${"é".repeat(60)}` }); // 121 bytes, 61 characters
    expect(blocks(cond("RequestUri", "GreaterThanOrEqual", ["100"]), long)).toBe(true);
    expect(blocks(cond("RequestUri", "LessThan", ["100"]), long)).toBe(false);
    expect(blocks(cond("RequestUri", "LessThanOrEqual", ["121"]), long)).toBe(true);
    expect(blocks(cond("RequestUri", "GreaterThan", ["121"]), long)).toBe(false);
  });

  it("IPMatch takes addresses and CIDR ranges; RemoteAddr follows X-Forwarded-For, SocketAddr does not", () => {
    const c = (v: string) => cond(v, "IPMatch", ["10.0.0.0/8", "2001:db8::1"]);
    const forwarded = req({ socketAddress: "::ffff:127.0.0.1", headers: { "x-forwarded-for": "10.1.2.3, 192.0.2.1" } });
    expect(blocks(c("RemoteAddr"), forwarded)).toBe(true);
    expect(blocks(c("SocketAddr"), forwarded)).toBe(false);
    expect(blocks(c("SocketAddr"), req({ socketAddress: "2001:db8::1" }))).toBe(true);
  });

  it("RegEx matches as RE2 and refuses what Front Door refuses (backreferences, lookaround)", () => {
    expect(blocks(cond("RequestUri", "RegEx", ["^/tenants/[a-z0-9]+/"]), req())).toBe(true);
    expect(() => policy([rule("Back", 1, "Block", [cond("RequestUri", "RegEx", ["(a)\\1"])])])).toThrow(/Back.*RegEx/);
    expect(() => policy([rule("Look", 1, "Block", [cond("RequestUri", "RegEx", ["a(?=b)"])])])).toThrow(/Look.*RegEx/);
  });
});

describe("refuses shapes it does not know, naming the rule", () => {
  const refusal = (r: unknown, extra: Record<string, unknown> = {}) => {
    try {
      policy([r], extra);
    } catch (e) {
      expect(e).toBeInstanceOf(EdgeRuleError);
      return (e as Error).message;
    }
    throw new Error("not refused");
  };
  const ok = [cond("RequestMethod", "Any", ["x"])];
  it.each([
    [/Rate: RateLimitRule is not evaluated/, { ...rule("Rate", 1, "Block", ok), type: "RateLimitRule" }],
    [/Js: action JSChallenge/, rule("Js", 1, "JSChallenge", ok)],
    [/Weird: unknown action 'Teleport'/, rule("Weird", 1, "Teleport", ok)],
    [/Op, match condition 1: unknown operator 'Sounds'/, rule("Op", 1, "Block", [cond("RequestUri", "Sounds", ["a"])])],
    [/Var, match condition 1: unknown match_variable 'Moon'/, rule("Var", 1, "Block", [cond("Moon", "Equal", ["a"])])],
    [
      /Tr, .*unknown transform 'Rot13'/,
      rule("Tr", 1, "Block", [cond("RequestUri", "Equal", ["a"], { transforms: ["Rot13"] })]),
    ],
    [/Body, .*RequestBody is not evaluated/, rule("Body", 1, "Block", [cond("RequestBody", "Contains", ["a"])])],
    [
      /Geo, .*GeoMatch applies to RemoteAddr or SocketAddr/,
      rule("Geo", 1, "Block", [cond("RequestUri", "GeoMatch", ["US"])]),
    ],
    [/Cc, .*'usa' is not a two-letter country code/, rule("Cc", 1, "Block", [cond("SocketAddr", "GeoMatch", ["usa"])])],
    [/Ip, .*not an IP address or CIDR/, rule("Ip", 1, "Block", [cond("SocketAddr", "IPMatch", ["10.0.0.0/33"])])],
    [/Sz, .*one whole number of bytes/, rule("Sz", 1, "Block", [cond("RequestUri", "LessThan", ["ten"])])],
    [/Hdr, .*needs a selector/, rule("Hdr", 1, "Block", [cond("RequestHeader", "Equal", ["a"])])],
    [/None: a rule needs at least one match condition/, rule("None", 1, "Block", [])],
    [/Extra: unknown field\(s\) group_by/, { ...rule("Extra", 1, "Block", ok), group_by: ["SocketAddr"] }],
    [/Off, .*unknown match_variable/, { ...rule("Off", 1, "Block", [cond("Moon", "Equal", ["a"])]), enabled: false }],
  ])("%s", (message, r) => {
    expect(refusal(r)).toMatch(message);
  });

  it("refuses a Redirect without redirect_url, duplicate priorities, managed rule sets unless skipped", () => {
    expect(refusal(rule("R", 1, "Redirect", ok))).toMatch(/R: Redirect needs the policy's redirect_url/);
    expect(() => policy([rule("A", 5, "Log", ok), rule("B", 5, "Log", ok)])).toThrow(/A and B share priority 5/);
    const managed = { managed_rule: [{ type: "Microsoft_DefaultRuleSet", version: "2.1", action: "Block" }] };
    expect(() => policy([rule("A", 1, "Log", ok)], managed)).toThrow(
      /Microsoft_DefaultRuleSet 2.1 cannot be evaluated/,
    );
    const skipping = compileWafPolicy(
      { mode: "Prevention", custom_rule: [rule("A", 1, "Block", ok)], ...managed },
      "waf",
      {
        managedRules: "skip",
      },
    );
    expect(skipping.evaluate(req()).action).toBe("block");
    expect(() => policy([], { custom_block_response_status_code: 302 })).toThrow(
      /302 is not one of 200, 403, 405, 406, 429/,
    );
  });
});

/** The construct's rules as synthesis writes them (the provider's own struct-to-JSON mapping, then JSON). */
const edgeRules = (prefixes: CdnPrefix[]): unknown[] =>
  JSON.parse(
    JSON.stringify(constructEdgeRules(prefixes).map((r) => cdnFrontdoorFirewallPolicyCustomRuleToTerraform(r))),
  );

describe("the construct's edge rules, evaluated (generative)", () => {
  const code = fc.constantFrom("US", "DE", "KP", "IR", "NL", "CN", "ZZ", "FR", "BR");
  it("a country deny list blocks exactly its countries and ZZ, and only under its prefix", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          code.filter((c) => c !== "ZZ"),
          { minLength: 1, maxLength: 4 },
        ),
        code,
        fc.boolean(),
        (deny, country, under) => {
          const p = policy(
            edgeRules([
              {
                prefix: "/tenants/",
                cache: "private",
                queryStringCaching: "UseQueryString",
                edge: { countries: { deny } },
              },
            ]),
          );
          const target = under ? "/tenants/a/b.svg" : "/public/b.svg";
          const blocked = p.evaluate(req({ target, country })).action === "block";
          expect(blocked).toBe(under && ((deny as string[]).includes(country) || country === "ZZ"));
        },
      ),
    );
  });

  it("a country allow list blocks everyone else under its prefix (ZZ included unless listed)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(code, { minLength: 1, maxLength: 4 }), code, (allow, country) => {
        const p = policy(
          edgeRules([
            { prefix: "/p/", cache: "private", queryStringCaching: "UseQueryString", edge: { countries: { allow } } },
          ]),
        );
        expect(p.evaluate(req({ target: "/p/x", country })).action === "block").toBe(!allow.includes(country));
      }),
    );
  });

  it("a referrer allow list admits exactly the Referers that begin with a listed prefix, case-insensitively", () => {
    const host = fc.constantFrom(
      "https://app.example/",
      "https://APP.example/x",
      "https://evil.example/",
      "http://app.example/",
    );
    fc.assert(
      fc.property(fc.option(host, { nil: undefined }), (referer) => {
        const p = policy(
          edgeRules([
            {
              prefix: "/p/",
              cache: "private",
              queryStringCaching: "UseQueryString",
              edge: { referrers: { allow: ["https://app.example/"] } },
            },
          ]),
        );
        const r = req({ target: "/p/x", headers: referer === undefined ? {} : { referer } });
        const admitted = referer !== undefined && referer.toLowerCase().startsWith("https://app.example/");
        expect(p.evaluate(r).action).toBe(admitted ? "pass" : "block");
      }),
    );
  });

  it("a referrer deny list blocks the listed prefixes and admits a request without Referer", () => {
    const p = policy(
      edgeRules([
        {
          prefix: "/p/",
          cache: "private",
          queryStringCaching: "UseQueryString",
          edge: { referrers: { deny: ["https://evil.example/"] } },
        },
      ]),
    );
    expect(p.evaluate(req({ target: "/p/x", headers: { referer: "https://EVIL.example/a" } })).action).toBe("block");
    expect(p.evaluate(req({ target: "/p/x", headers: { referer: "https://app.example/" } })).action).toBe("pass");
    expect(p.evaluate(req({ target: "/p/x" })).action).toBe("pass");
  });
});
