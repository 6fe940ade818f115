/** The CDKTF app: `npx cdktf synth`, `npx cdktf deploy broker-dev`. See README "Environments". */
import { App } from "cdktf";
import { join } from "node:path";
import { BrokerStack } from "./broker-stack";
import { stackEnvironments } from "./environments";

const app = new App();
for (const s of stackEnvironments(join(__dirname, "..", "policies"))) {
  new BrokerStack(app, s.stackId, { environment: s.environment, azure: s.azure, compiled: s.compiled });
}
app.synth();
