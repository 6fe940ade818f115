import { Testing } from "cdktf";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BootstrapStack } from "../../stacks/bootstrap-stack";
import { bootstrapSettings } from "../../stacks/bootstrap-settings";
import { ROOT } from "../policy/helpers";
import type { Resources } from "./helpers";

export const REPOSITORY = "contoso/docs";
export const policyText = () => readFileSync(join(ROOT, "policies", "policy.yaml"), "utf8");

/**
 * A copy of the example policy folder (policy.yaml, environments.yaml, entra-app-roles.json), optionally with a
 * different policy text or app-role record, synthesized as the bootstrap stack with its validations run.
 */
export function synthBootstrap(
  options: { policyText?: string; record?: Record<string, string[]>; environ?: NodeJS.ProcessEnv } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "tb-bootstrap-"));
  for (const f of ["policy.yaml", "environments.yaml", "entra-app-roles.json"])
    copyFileSync(join(ROOT, "policies", f), join(dir, f));
  if (options.policyText) writeFileSync(join(dir, "policy.yaml"), options.policyText);
  if (options.record) writeFileSync(join(dir, "entra-app-roles.json"), JSON.stringify(options.record));
  const settings = bootstrapSettings(dir, {
    environ: options.environ ?? { TOKEN_BROKER_GITHUB_REPOSITORY: REPOSITORY },
  });
  const stack = new BootstrapStack(Testing.app(), "broker-bootstrap", { settings });
  const json = JSON.parse(Testing.synth(stack, true)) as {
    resource: Resources;
    output: Record<string, { value: unknown }>;
    variable?: Record<string, Record<string, unknown>>;
    provider: Record<string, Record<string, unknown>[]>;
    terraform: Record<string, any>;
  };
  return { stack, json, settings, dir };
}

/** Resources of a type whose Terraform name starts with the construct path prefix (`api-pr_`). */
export function named(resources: Resources, type: string, prefix: string): Record<string, any>[] {
  return Object.entries(resources[type] ?? {})
    .filter(([n]) => n.startsWith(prefix))
    .map(([, v]) => v);
}
