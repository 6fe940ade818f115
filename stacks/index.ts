/**
 * `azure-token-broker/constructs`: what a platform team's CDKTF app composes. `addBrokerStacks(app, { policies })`
 * is the whole platform for a policy folder; BrokerStack and TokenBrokerPlatform are its parts, for an app that
 * builds its own stacks. The policy compiler is here too, since each construct takes the compiled infrastructure
 * needs (the policy-to-stack contract), not the policy text.
 */
export { addBrokerStacks, type BrokerStacksProps } from "./platform-app";
export { BrokerStack, type BrokerStackProps } from "./broker-stack";
export { addBootstrapStack, BootstrapStack, BOOTSTRAP_STACK_ID, type BootstrapStackProps } from "./bootstrap-stack";
export { bootstrapSettings, type BootstrapSettings } from "./bootstrap-settings";
export { stackEnvironments, type StackEnvironment } from "./environments";
export { buildBrokerPackage, type BrokerPackage } from "./broker-package";
export { TokenBrokerPlatform, type TokenBrokerPlatformProps } from "../lib/constructs/token-broker-platform";
export { SecureDefaults } from "../lib/constructs/secure-defaults";
export type { InfraNeeds } from "../lib/policy/authoring/infra-needs";
