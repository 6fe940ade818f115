/**
 * `token-broker deploy-check (--env <name> | --stack broker-<name>) [--policy <dir>] [--json]`: synthesizes one
 * environment's stack offline (no Azure, no Terraform) and runs lib/constructs/deploy-checks.ts over it. Prints each
 * failed check with the resource and the fix, then what only Azure can confirm. Exit 0 all checks pass, 1 a check
 * failed, 2 usage (an unknown environment, a bad flag).
 */
import { App } from "cdktf";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCommandArgs } from "./parse-command-args";
import {
  checkDeployability,
  DEPLOY_CHECKS,
  ONLY_AZURE_CAN_CONFIRM,
  type DeployFinding,
  type SynthesizedStack,
} from "../constructs/deploy-checks";
import { BrokerStack } from "../../stacks/broker-stack";
import { stackEnvironments } from "../../stacks/environments";

type Print = (s: string) => void;

export interface DeployCheckHooks {
  /** Runs on the stack before it is checked (tests break a stack on purpose). */
  readonly build?: (stack: BrokerStack) => void;
  /** Runs on the synthesized JSON before it is checked (what no construct override reaches, like provider features). */
  readonly edit?: (json: SynthesizedStack) => void;
  /** The environment variables the stacks read (CI, remote state, repository). @default process.env */
  readonly environ?: NodeJS.ProcessEnv;
}

export function deployCheckCommand(argv: string[], out: Print, err: Print, hooks: DeployCheckHooks = {}): number {
  const parsed = parseCommandArgs(
    {
      args: argv,
      strict: true,
      options: {
        env: { type: "string" },
        stack: { type: "string" },
        policy: { type: "string" },
        json: { type: "boolean" },
      },
    },
    err,
  );
  if (!parsed) return 2;
  const { values } = parsed;
  const name = values.env ?? values.stack?.replace(/^broker-/, "");
  if (!name || (values.env && values.stack)) {
    err("deploy-check needs one of --env <name> (dev, prod, pr-<n>) or --stack broker-<name>");
    return 2;
  }
  const pr = /^pr-(\d+)$/.exec(name)?.[1];
  let environments;
  try {
    environments = stackEnvironments(resolve(values.policy ?? "policies"), pr, hooks.environ);
  } catch (e) {
    // A stack that cannot be deployed as configured (an ephemeral one in CI without remote state): a finding.
    err(`deploy-check: ${(e as Error).message}`);
    return 1;
  }
  const target = environments.find((e) => e.name === name);
  if (!target) {
    err(`deploy-check: no deployable environment '${name}'; have ${environments.map((e) => e.name).join(", ")}`);
    return 2;
  }
  // Synthesis in memory: the App's outdir is never written, validations are ours to run.
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "tb-deploy-check-")), skipValidation: true });
  const stack = new BrokerStack(app, target.stackId, { infra: target.infra });
  hooks.build?.(stack);
  const json = stack.toTerraform() as SynthesizedStack;
  hooks.edit?.(json);
  const findings = checkDeployability(json, target.infra);
  if (values.json) {
    out(JSON.stringify({ stack: target.stackId, findings, onlyAzureCanConfirm: ONLY_AZURE_CAN_CONFIRM }, null, 2));
    return findings.length === 0 ? 0 : 1;
  }
  print(target.stackId, findings, out);
  return findings.length === 0 ? 0 : 1;
}

function print(stackId: string, findings: DeployFinding[], out: Print): void {
  out(`deploy-check ${stackId} (offline synthesis, azurerm 4.55 rules)`);
  for (const [id, description] of Object.entries(DEPLOY_CHECKS)) {
    const failed = findings.filter((f) => f.check === id);
    out(`${failed.length === 0 ? "ok  " : "FAIL"} ${id}: ${description}`);
    for (const f of failed) out(`       ${f.resource}: ${f.message}`);
  }
  out("Only Azure can confirm:");
  for (const line of ONLY_AZURE_CAN_CONFIRM) out(`  - ${line}`);
  out(findings.length === 0 ? "deploy-check: passed" : `deploy-check: ${findings.length} problem(s)`);
}
