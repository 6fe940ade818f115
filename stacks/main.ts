/** The CDKTF app: `npx cdktf synth`, `npx cdktf deploy broker-dev`. See README "Environments". */
import { App } from "cdktf";
import { join } from "node:path";
import { buildBrokerPackage } from "../lib/constructs/broker-package";
import { BrokerStack } from "./broker-stack";
import { stackEnvironments } from "./environments";

const app = new App();
const packages = join(__dirname, "..", ".gen", "packages");
for (const s of stackEnvironments(join(__dirname, "..", "policies"))) {
  // One artifact: the broker bundled with this environment's compiled policy.
  const pkg = buildBrokerPackage(s.compiled.config, packages);
  new BrokerStack(app, s.stackId, { environment: s.environment, azure: s.azure, compiled: s.compiled, packagePath: pkg.zipPath });
}
app.synth();
