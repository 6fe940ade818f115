/** The CDKTF app: `npx cdktf synth`, `npx cdktf deploy broker-dev`. See README "Environments". */
import { App } from "cdktf";
import { join } from "node:path";
import { addBootstrapStack } from "./bootstrap-stack";
import { addBrokerStacks } from "./platform-app";

const app = new App();
addBrokerStacks(app, {
  policies: join(__dirname, "..", "policies"),
  packagesDir: join(__dirname, "..", ".gen", "packages"),
});
// Deployed once, before any environment (README "Deploying an environment"); synthesized with the others.
addBootstrapStack(app, { policies: join(__dirname, "..", "policies") });
app.synth();
