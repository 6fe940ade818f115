/**
 * One match condition of a Front Door WAF custom rule, compiled once and evaluated per request, with the semantics
 * Microsoft documents (learn.microsoft.com/azure/web-application-firewall/afds/waf-front-door-custom-rules):
 * - transforms run in order on the request value before matching; match values are compared as written;
 * - several match values: any one matching is a match; `negation_condition` inverts the result;
 * - LessThan/GreaterThan/...: "size constraint", the value's length in bytes against the (one) match value;
 * - RegEx: Front Door refuses backreferences, lookaround and the other backtracking constructs, so the pattern is
 *   compiled as RE2 (re2js), which refuses the same;
 * - GeoMatch and IPMatch apply to RemoteAddr / SocketAddr only (azurerm's and the CLI's allowed combinations).
 * The values azurerm 4.55 accepts (cdn_frontdoor_firewall_policy_resource.go at v4.55.0, custom_rule.match_condition):
 * match_variable, operator and transforms below; anything else is refused at load, naming the rule.
 * Not confirmed from here: whether Front Door compares strings case-sensitively. This interpreter does (a rule that
 * wants case-insensitivity says `transforms: [Lowercase]`, as lib/constructs/front-door.ts's referrer rules do).
 * An absent header or cookie matches no string operator (so a negated condition on it holds), which is what the
 * construct's referrer allow list relies on ("a request without a Referer fails an allow list").
 */
import { BlockList, isIP } from "node:net";
import { compileLinearPattern } from "../../policy/runtime/linear-match";

/** What a condition reads of a request. `country` stands in for Front Door's geo-IP lookup (ISO 3166 alpha-2). */
export interface EdgeRequest {
  method: string;
  /** The request target as received: path and query (`/tenants/a/logo.svg?sv=...`). */
  target: string;
  headers: Record<string, string | undefined>;
  /** The TCP peer's address (SocketAddr). */
  socketAddress: string;
  /** The client's country; `ZZ` when unknown. */
  country: string;
}

export class EdgeRuleError extends Error {
  readonly code = "ERR_EDGE_RULE_UNSUPPORTED";
  constructor(message: string) {
    super(message);
    this.name = "EdgeRuleError";
  }
}

export const MATCH_VARIABLES = [
  "Cookies",
  "PostArgs",
  "QueryString",
  "RemoteAddr",
  "RequestBody",
  "RequestHeader",
  "RequestMethod",
  "RequestUri",
  "SocketAddr",
] as const;
export const OPERATORS = [
  "Any",
  "BeginsWith",
  "Contains",
  "EndsWith",
  "Equal",
  "GeoMatch",
  "GreaterThan",
  "GreaterThanOrEqual",
  "IPMatch",
  "LessThan",
  "LessThanOrEqual",
  "RegEx",
] as const;
export const TRANSFORMS = ["Lowercase", "RemoveNulls", "Trim", "Uppercase", "UrlDecode", "UrlEncode"] as const;

const CONDITION_KEYS = new Set([
  "match_variable",
  "match_values",
  "operator",
  "selector",
  "negation_condition",
  "transforms",
]);
const ADDRESS_VARIABLES = new Set(["RemoteAddr", "SocketAddr"]);
const SIZE_OPERATORS: Record<string, (size: number, limit: number) => boolean> = {
  LessThan: (s, l) => s < l,
  GreaterThan: (s, l) => s > l,
  LessThanOrEqual: (s, l) => s <= l,
  GreaterThanOrEqual: (s, l) => s >= l,
};

export type CompiledCondition = (request: EdgeRequest) => boolean;

/** Compiles one synthesized `match_condition` block; `where` names the rule in every refusal. */
export function compileCondition(raw: unknown, where: string): CompiledCondition {
  const refuse = (why: string) => new EdgeRuleError(`${where}: ${why}`);
  if (!isRecord(raw)) throw refuse("a match condition must be an object");
  const unknown = Object.keys(raw).filter((k) => !CONDITION_KEYS.has(k));
  if (unknown.length > 0) throw refuse(`unknown match condition field(s) ${unknown.join(", ")}`);
  const variable = oneOf(raw.match_variable, MATCH_VARIABLES, "match_variable", refuse);
  const operator = oneOf(raw.operator, OPERATORS, "operator", refuse);
  const values = raw.match_values;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === "string"))
    throw refuse("match_values must be a non-empty list of strings");
  const transformsRaw = raw.transforms ?? [];
  if (!Array.isArray(transformsRaw)) throw refuse("transforms must be a list");
  const transforms = transformsRaw.map((t) => oneOf(t, TRANSFORMS, "transform", refuse));
  const negate = raw.negation_condition ?? false;
  if (typeof negate !== "boolean") throw refuse("negation_condition must be a boolean");
  const selector = raw.selector;
  if (selector !== undefined && (typeof selector !== "string" || selector === ""))
    throw refuse("selector must be a non-empty string");
  if (variable === "RequestBody" || variable === "PostArgs")
    throw refuse(`${variable} is not evaluated: the local edge serves GET and HEAD only and reads no body`);
  if ((variable === "RequestHeader" || variable === "Cookies") && selector === undefined)
    throw refuse(`${variable} needs a selector (the header or cookie name)`);
  if ((operator === "GeoMatch" || operator === "IPMatch") && !ADDRESS_VARIABLES.has(variable))
    throw refuse(`${operator} applies to RemoteAddr or SocketAddr, not ${variable}`);
  if (ADDRESS_VARIABLES.has(variable) && operator !== "GeoMatch" && operator !== "IPMatch" && operator !== "Any")
    throw refuse(`${variable} takes GeoMatch, IPMatch or Any, not ${operator}`);

  const test = compileOperator(operator, values as string[], refuse);
  const read = reader(variable, selector);
  const transform = (v: string) => transforms.reduce((acc, t) => applyTransform(t, acc), v);
  return (request) => {
    const value = read(request);
    const matched = operator === "Any" || (value !== undefined && test(transform(value), request));
    return negate ? !matched : matched;
  };
}

function compileOperator(
  operator: (typeof OPERATORS)[number],
  values: string[],
  refuse: (why: string) => Error,
): (value: string, request: EdgeRequest) => boolean {
  switch (operator) {
    case "Any":
      return () => true;
    case "Equal":
      return (v) => values.includes(v);
    case "Contains":
      return (v) => values.some((m) => v.includes(m));
    case "BeginsWith":
      return (v) => values.some((m) => v.startsWith(m));
    case "EndsWith":
      return (v) => values.some((m) => v.endsWith(m));
    case "RegEx": {
      const patterns = values.map((m) => {
        try {
          return compileLinearPattern(m);
        } catch (e) {
          throw refuse(`RegEx '${m}': ${(e as Error).message}`);
        }
      });
      return (v) => patterns.some((p) => p.test(v));
    }
    case "GeoMatch": {
      const bad = values.find((m) => !/^[A-Z]{2}$/.test(m));
      if (bad !== undefined) throw refuse(`GeoMatch value '${bad}' is not a two-letter country code`);
      // The country comes from the request (the local stand-in for geo-IP), not from the address string.
      return (_v, request) => values.includes(request.country);
    }
    case "IPMatch": {
      const list = new BlockList();
      for (const m of values) {
        const [address, bits, extra] = m.split("/");
        const family = isIP(address);
        const prefix = bits === undefined ? undefined : Number(bits);
        const max = family === 6 ? 128 : 32;
        if (family === 0 || extra !== undefined || (prefix !== undefined && !(prefix >= 0 && prefix <= max)))
          throw refuse(`IPMatch value '${m}' is not an IP address or CIDR range`);
        const type = family === 6 ? "ipv6" : "ipv4";
        if (prefix === undefined) list.addAddress(address, type);
        else list.addSubnet(address, prefix, type);
      }
      return (v) => {
        const family = isIP(v);
        return family !== 0 && list.check(v, family === 6 ? "ipv6" : "ipv4");
      };
    }
    default: {
      const limit = values.length === 1 && /^\d+$/.test(values[0]) ? Number(values[0]) : NaN;
      if (Number.isNaN(limit)) throw refuse(`${operator} takes one whole number of bytes, got ${values.join(", ")}`);
      const compare = SIZE_OPERATORS[operator];
      return (v) => compare(Buffer.byteLength(v, "utf8"), limit);
    }
  }
}

function reader(variable: string, selector: string | undefined): (r: EdgeRequest) => string | undefined {
  switch (variable) {
    case "RequestMethod":
      return (r) => r.method;
    case "RequestUri":
      return (r) => r.target;
    case "QueryString":
      return (r) => {
        const at = r.target.indexOf("?");
        return at < 0 ? "" : r.target.slice(at + 1);
      };
    case "RequestHeader":
      return (r) => header(r, selector!);
    case "Cookies":
      return (r) => cookie(header(r, "cookie"), selector!);
    case "SocketAddr":
      return (r) => stripMappedIpv4(r.socketAddress);
    default:
      // RemoteAddr: the client Front Door sees first, the left-most X-Forwarded-For entry when present.
      return (r) => stripMappedIpv4(header(r, "x-forwarded-for")?.split(",")[0].trim() || r.socketAddress);
  }
}

function header(r: EdgeRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(r.headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

function cookie(headerValue: string | undefined, name: string): string | undefined {
  for (const part of headerValue?.split(";") ?? []) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function stripMappedIpv4(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function applyTransform(t: (typeof TRANSFORMS)[number], v: string): string {
  switch (t) {
    case "Lowercase":
      return v.toLowerCase();
    case "Uppercase":
      return v.toUpperCase();
    case "Trim":
      return v.trim();
    case "RemoveNulls":
      return v.replaceAll("\0", "");
    case "UrlEncode":
      return encodeURIComponent(v);
    case "UrlDecode":
      try {
        return decodeURIComponent(v.replaceAll("+", " "));
      } catch {
        return v; // a malformed escape stays as written, as a lenient decoder leaves it
      }
  }
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  what: string,
  refuse: (why: string) => Error,
): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw refuse(`unknown ${what} '${String(value)}' (known: ${allowed.join(", ")})`);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
