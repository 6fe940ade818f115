/**
 * A Front Door WAF policy (`azurerm_cdn_frontdoor_firewall_policy` as synthesized) compiled into a function of the
 * request, so the local edge enforces what Azure would. Semantics (learn.microsoft.com/azure/web-application-firewall/
 * afds/waf-front-door-custom-rules; afds-overview for the modes):
 * - custom rules run in ascending `priority`; priorities are unique; a disabled rule is skipped;
 * - a rule matches when every match condition matches;
 * - Allow, Block and Redirect end the evaluation; Log records the rule and goes on to the next;
 * - mode Detection blocks nothing (it only logs what it would have done); a disabled policy does nothing;
 * - Block answers `custom_block_response_status_code` (azurerm allows 200, 403, 405, 406, 429; Front Door's default
 *   is 403) with `custom_block_response_body` (base64) when set; Redirect sends the client to `redirect_url`.
 * Schema defaults applied (cdktf leaves unset fields out of the JSON): enabled true, priority 1,
 * negation_condition false (cdn_frontdoor_firewall_policy_resource.go at v4.55.0).
 * Refused, naming the rule: RateLimitRule (the local edge counts nothing), JSChallenge/CAPTCHA (no browser
 * challenge here), managed rule sets (opaque Microsoft rules; skip them only by asking), unknown fields.
 */
import { compileCondition, EdgeRuleError, isRecord, type CompiledCondition, type EdgeRequest } from "./waf-match";

export type WafDecision =
  | { action: "pass"; logged: string[] }
  | { action: "allow"; rule: string; logged: string[] }
  | { action: "block"; rule: string; status: number; body?: Buffer; logged: string[] }
  | { action: "redirect"; rule: string; location: string; logged: string[] };

export interface CompiledWafPolicy {
  readonly name: string;
  readonly mode: "Prevention" | "Detection";
  evaluate(request: EdgeRequest): WafDecision;
}

export interface WafCompileOptions {
  /** Managed rule sets cannot be interpreted here; `skip` evaluates the custom rules alone. @default "refuse" */
  managedRules?: "refuse" | "skip";
}

const RULE_KEYS = new Set([
  "name",
  "enabled",
  "priority",
  "type",
  "action",
  "match_condition",
  "rate_limit_duration_in_minutes",
  "rate_limit_threshold",
]);
/** Policy fields that change no verdict (identity, placement, logging). */
const INERT_POLICY_KEYS = new Set([
  "name",
  "resource_group_name",
  "sku_name",
  "tags",
  "depends_on",
  "lifecycle",
  "provider",
  "request_body_check_enabled",
  "log_scrubbing",
  "js_challenge_cookie_expiration_in_minutes",
  "captcha_cookie_expiration_in_minutes",
]);
const POLICY_KEYS = new Set([
  ...INERT_POLICY_KEYS,
  "mode",
  "enabled",
  "custom_block_response_status_code",
  "custom_block_response_body",
  "redirect_url",
  "custom_rule",
  "managed_rule",
]);
const BLOCK_STATUSES = [200, 403, 405, 406, 429];

interface CompiledRule {
  name: string;
  priority: number;
  action: "Allow" | "Block" | "Log" | "Redirect";
  conditions: CompiledCondition[];
}

export function compileWafPolicy(raw: unknown, id: string, options: WafCompileOptions = {}): CompiledWafPolicy {
  const refuse = (why: string) => new EdgeRuleError(`WAF policy ${id}: ${why}`);
  if (!isRecord(raw)) throw refuse("not an object");
  const unknown = Object.keys(raw).filter((k) => !POLICY_KEYS.has(k));
  if (unknown.length > 0) throw refuse(`unknown field(s) ${unknown.join(", ")}`);
  const mode = raw.mode;
  if (mode !== "Prevention" && mode !== "Detection") throw refuse(`unknown mode '${String(mode)}'`);
  const enabled = raw.enabled ?? true;
  const status = raw.custom_block_response_status_code ?? 403;
  if (typeof status !== "number" || !BLOCK_STATUSES.includes(status))
    throw refuse(`custom_block_response_status_code ${String(status)} is not one of ${BLOCK_STATUSES.join(", ")}`);
  const body =
    typeof raw.custom_block_response_body === "string"
      ? Buffer.from(raw.custom_block_response_body, "base64")
      : undefined;
  const redirectUrl = typeof raw.redirect_url === "string" ? raw.redirect_url : undefined;
  const managed = raw.managed_rule;
  if (Array.isArray(managed) && managed.length > 0 && options.managedRules !== "skip")
    throw refuse(
      `managed rule set(s) ${managed.map((m) => (isRecord(m) ? `${m.type} ${m.version}` : "?")).join(", ")} cannot be evaluated locally; pass managedRules: "skip" to evaluate the custom rules alone`,
    );
  const rawRules = raw.custom_rule ?? [];
  if (!Array.isArray(rawRules)) throw refuse("custom_rule must be a list");
  const rules = rawRules.map((r, i) => compileRule(r, `WAF policy ${id}, custom rule ${ruleName(r, i)}`, redirectUrl));
  const seen = new Map<number, string>();
  for (const r of rules) {
    const other = seen.get(r.priority);
    if (other !== undefined) throw refuse(`custom rules ${other} and ${r.name} share priority ${r.priority}`);
    seen.set(r.priority, r.name);
  }
  rules.sort((a, b) => a.priority - b.priority);
  return {
    name: id,
    mode,
    evaluate(request) {
      const logged: string[] = [];
      if (enabled === false) return { action: "pass", logged };
      for (const rule of rules) {
        if (!rule.conditions.every((c) => c(request))) continue;
        // Detection: what would have happened is logged; nothing is enforced and evaluation goes on.
        if (rule.action === "Log" || mode === "Detection") {
          logged.push(rule.name);
          continue;
        }
        if (rule.action === "Allow") return { action: "allow", rule: rule.name, logged };
        if (rule.action === "Redirect") return { action: "redirect", rule: rule.name, location: redirectUrl!, logged };
        return { action: "block", rule: rule.name, status, ...(body && { body }), logged };
      }
      return { action: "pass", logged };
    },
  };
}

function compileRule(raw: unknown, where: string, redirectUrl: string | undefined): CompiledRule {
  const refuse = (why: string) => new EdgeRuleError(`${where}: ${why}`);
  if (!isRecord(raw)) throw refuse("not an object");
  const unknown = Object.keys(raw).filter((k) => !RULE_KEYS.has(k));
  if (unknown.length > 0) throw refuse(`unknown field(s) ${unknown.join(", ")}`);
  if (raw.type === "RateLimitRule") throw refuse("RateLimitRule is not evaluated: the local edge counts no rates");
  if (raw.type !== "MatchRule") throw refuse(`unknown type '${String(raw.type)}'`);
  const action = raw.action;
  if (action === "JSChallenge" || action === "CAPTCHA")
    throw refuse(`action ${action} needs a browser challenge the local edge cannot give`);
  if (action !== "Allow" && action !== "Block" && action !== "Log" && action !== "Redirect")
    throw refuse(`unknown action '${String(action)}'`);
  if (action === "Redirect" && redirectUrl === undefined) throw refuse("Redirect needs the policy's redirect_url");
  const priority = raw.priority ?? 1;
  if (!Number.isInteger(priority)) throw refuse("priority must be an integer");
  const conditions = raw.match_condition;
  if (!Array.isArray(conditions) || conditions.length === 0) throw refuse("a rule needs at least one match condition");
  const compiled = conditions.map((c, i) => compileCondition(c, `${where}, match condition ${i + 1}`));
  if (raw.enabled !== undefined && typeof raw.enabled !== "boolean") throw refuse("enabled must be a boolean");
  return {
    name: String(raw.name),
    priority: priority as number,
    action,
    // A disabled rule is never evaluated, but its shape is checked all the same.
    conditions: raw.enabled === false ? [() => false] : compiled,
  };
}

function ruleName(raw: unknown, i: number): string {
  return isRecord(raw) && typeof raw.name === "string" ? raw.name : `#${i + 1}`;
}
