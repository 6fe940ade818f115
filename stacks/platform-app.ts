/**
 * The platform as a library call: one BrokerStack per environment of the policy folder it is given, each with its
 * broker package (the bundled broker and that environment's compiled policy). stacks/main.ts calls it for this
 * repository's policies/; a platform team's own CDKTF app calls it for theirs (`token-broker init` writes one).
 */
import type { App } from "cdktf";
import { dirname, join, resolve } from "node:path";
import { buildBrokerPackage } from "./broker-package";
import { BrokerStack } from "./broker-stack";
import { stackEnvironments } from "./environments";

export interface BrokerStacksProps {
  /** The policy folder (policy.yaml, environments.yaml, tests/). */
  readonly policies: string;
  /** Where the broker packages are written. @default `.gen/packages` beside the policy folder */
  readonly packagesDir?: string;
  /** The pull request an ephemeral environment is for. @default TOKEN_BROKER_PR */
  readonly pullRequest?: string;
}

export function addBrokerStacks(app: App, props: BrokerStacksProps): BrokerStack[] {
  const policies = resolve(props.policies);
  const packages = props.packagesDir ?? join(dirname(policies), ".gen", "packages");
  return stackEnvironments(policies, props.pullRequest ?? process.env.TOKEN_BROKER_PR).map((s) => {
    // A build step before synthesis: one artifact, the broker bundled with this environment's compiled policy.
    const pkg = buildBrokerPackage(s.runtimeConfig, packages);
    return new BrokerStack(app, s.stackId, { infra: s.infra, packagePath: pkg.zipPath });
  });
}
