/**
 * Resource names: Azure's abbreviation (Cloud Adoption Framework) + workload + environment (+ a short hash for
 * globally unique names), each within the resource's length and character rules. Deterministic: the same
 * environment always gets the same names, so `cdktf deploy` updates rather than replaces.
 */
import { createHash } from "node:crypto";

export type ResourceKind =
  | "resourceGroup"
  | "cosmosAccount"
  | "keyVault"
  | "storageAccount"
  | "functionApp"
  | "servicePlan"
  | "fluidRelay"
  | "logAnalytics"
  | "appInsights"
  | "frontDoorProfile"
  | "frontDoorEndpoint"
  | "wafPolicy"
  | "managedRedis"
  | "virtualNetwork";

interface NameRule {
  abbreviation: string;
  max: number;
  /** Global names get a hash so two organisations' `docs-dev` do not collide. */
  global: boolean;
  separator: "-" | "";
  lowercase: boolean;
  valid: RegExp;
}

/** Sources: learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules, CAF abbreviations. */
export const NAME_RULES: Record<ResourceKind, NameRule> = {
  resourceGroup: {
    abbreviation: "rg",
    max: 90,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9-]{1,90}$/,
  },
  cosmosAccount: {
    abbreviation: "cosmos",
    max: 44,
    global: true,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9][a-z0-9-]{1,42}[a-z0-9]$/,
  },
  keyVault: {
    abbreviation: "kv",
    max: 24,
    global: true,
    separator: "-",
    lowercase: true,
    valid: /^[a-z](?!.*--)[a-z0-9-]{1,22}[a-z0-9]$/,
  },
  storageAccount: {
    abbreviation: "st",
    max: 24,
    global: true,
    separator: "",
    lowercase: true,
    valid: /^[a-z0-9]{3,24}$/,
  },
  functionApp: {
    abbreviation: "func",
    max: 60,
    global: true,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/,
  },
  servicePlan: {
    abbreviation: "asp",
    max: 60,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9-]{1,60}$/,
  },
  fluidRelay: {
    abbreviation: "frs",
    max: 50,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9-]{1,50}$/,
  },
  logAnalytics: {
    abbreviation: "log",
    max: 63,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9][a-z0-9-]{2,61}[a-z0-9]$/,
  },
  appInsights: {
    abbreviation: "appi",
    max: 255,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9-]{1,255}$/,
  },
  frontDoorProfile: {
    abbreviation: "afd",
    max: 90,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9][a-z0-9-]{0,88}[a-z0-9]$/,
  },
  // Front Door appends its own hash to the endpoint host name, so the endpoint name needs none.
  frontDoorEndpoint: {
    abbreviation: "fde",
    max: 46,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9][a-z0-9-]{0,44}[a-z0-9]$/,
  },
  // WAF policy names allow letters and digits only, starting with a letter.
  wafPolicy: {
    abbreviation: "waf",
    max: 128,
    global: false,
    separator: "",
    lowercase: true,
    valid: /^[a-z][a-z0-9]{0,127}$/,
  },
  // Azure Managed Redis: a DNS name (<name>.<region>.redis.azure.net).
  managedRedis: {
    abbreviation: "amr",
    max: 60,
    global: true,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/,
  },
  virtualNetwork: {
    abbreviation: "vnet",
    max: 64,
    global: false,
    separator: "-",
    lowercase: true,
    valid: /^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/,
  },
};

export interface NamingContext {
  workload: string;
  /** Concrete environment name: dev, prod, pr-42. */
  environment: string;
}

export function resourceName(kind: ResourceKind, ctx: NamingContext): string {
  const rule = NAME_RULES[kind];
  const sep = rule.separator;
  const env = sep === "" ? ctx.environment.replace(/-/g, "") : ctx.environment;
  const parts = [rule.abbreviation, ctx.workload, env];
  const hash = createHash("sha256").update(`${kind}|${ctx.workload}|${ctx.environment}`).digest("hex").slice(0, 5);
  let name = parts.join(sep);
  if (rule.global) name = `${name}${sep}${hash}`;
  if (name.length > rule.max) {
    // Keep the hash (uniqueness) and shorten the readable part.
    const room = rule.max - hash.length - sep.length;
    name = `${parts.join(sep).slice(0, room).replace(/-+$/, "")}${sep}${hash}`;
  }
  if (rule.lowercase) name = name.toLowerCase();
  if (!rule.valid.test(name))
    throw new Error(`generated ${kind} name '${name}' breaks Azure's naming rule ${rule.valid}`);
  return name;
}
