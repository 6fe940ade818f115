/**
 * One environment's platform synthesized in memory, for the local edge to read its Front Door rules from
 * (lib/local/edge/edge-from-stack.ts). It is the same TokenBrokerPlatform a BrokerStack deploys (stacks/broker-stack.ts
 * adds the provider, backend and outputs, none of which changes a route, a rule set or the WAF), built from the
 * compiled policy's infrastructure needs; lib/local does not import stacks/ (the import arrows run one way).
 * Nothing is written to disk. Costs about 0.5 s after the provider submodules are loaded (measured: docs/local-environment.md).
 */
import { Testing, TerraformStack } from "cdktf";
import type { InfraNeeds } from "../../policy/authoring/infra-needs";
import { TokenBrokerPlatform } from "../../constructs/token-broker-platform";

export function synthesizeEnvironmentStack(infra: InfraNeeds): unknown {
  const stack = new TerraformStack(Testing.app(), `broker-${infra.environment.name}`);
  new TokenBrokerPlatform(stack, "platform", { infra, tags: { env: infra.environment.name } });
  return JSON.parse(Testing.synth(stack));
}
