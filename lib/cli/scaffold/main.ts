/**
 * The CDKTF app: one stack per environment in policies/environments.yaml, each with the broker and that
 * environment's compiled policy. `npx cdktf synth`; `npx cdktf deploy broker-dev`. Written by `token-broker init`.
 */
import { join } from "node:path";
import { App } from "cdktf";
import { addBootstrapStack, addBrokerStacks } from "azure-token-broker/constructs";

const app = new App();
addBrokerStacks(app, { policies: join(__dirname, "policies") });
// Deployed once before the environments: remote state, GitHub deploy identities, the Entra API registrations.
addBootstrapStack(app, { policies: join(__dirname, "policies") });
app.synth();
