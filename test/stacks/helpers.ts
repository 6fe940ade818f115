import { Testing } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { filesOnDisk } from "../../lib/policy/authoring/policy-files";
import { BrokerStack } from "../../stacks/broker-stack";
import { stackEnvironments } from "../../stacks/environments";
import { ROOT } from "../policy/helpers";

export const NOW = new Date("2026-11-22T00:00:00Z");
export type Resources = Record<string, Record<string, Record<string, any>>>;

/** Synthesizes the stack for one environment of the example policy (or of a policy text) and parses the JSON. */
export function synthEnvironment(
  env: string,
  options: { policyText?: string; build?: (stack: BrokerStack) => void; network?: "public" | "private" } = {},
) {
  const pr = /^pr-(\d+)$/.exec(env)?.[1];
  const dir = join(ROOT, "policies");
  // No process.env: a CI runner's CI / GITHUB_REPOSITORY must not change what a test synthesizes.
  const envs = options.policyText ? withPolicyText(options.policyText, pr) : stackEnvironments(dir, pr, {});
  const s = envs.find((e) => e.name === env);
  if (!s) throw new Error(`no stack for ${env}`);
  const stack = new BrokerStack(Testing.app(), s.stackId, { infra: s.infra, now: NOW, network: options.network });
  options.build?.(stack);
  // `true`: run the construct validations (the secure-default rules), as `app.synth()` does.
  const json = JSON.parse(Testing.synth(stack, true)) as {
    resource: Resources;
    output: Record<string, unknown>;
    terraform: Record<string, unknown>;
    provider: Record<string, unknown>;
  };
  return { stack, json, compiled: { config: s.runtimeConfig, infra: s.infra } };
}

function withPolicyText(text: string, pr?: string) {
  const real = filesOnDisk(join(ROOT, "policies"));
  const files = { ...real, read: (f: string) => (f.endsWith("policy.yaml") ? text : readFileSync(f, "utf8")) };
  return stackEnvironments(files, pr, {});
}

export function only(resources: Resources, type: string): Record<string, any> {
  const all = Object.values(resources[type] ?? {});
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

export function all(resources: Resources, type: string): Record<string, any>[] {
  return Object.values(resources[type] ?? {});
}

export const examplePolicyText = () => readFileSync(join(ROOT, "policies", "policy.yaml"), "utf8");
