/** The CDKTF app: `npx cdktf synth`, `npx cdktf deploy broker-dev`. See README "Environments". */
import { App } from "cdktf";
import { join } from "node:path";
import { addBrokerStacks } from "./platform-app";

const app = new App();
addBrokerStacks(app, {
  policies: join(__dirname, "..", "policies"),
  packagesDir: join(__dirname, "..", ".gen", "packages"),
});
app.synth();
