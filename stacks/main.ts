/** The CDKTF app: `npx cdktf synth`, `npx cdktf deploy broker-dev`. See README "Environments". */
import { App } from "cdktf";
import { join } from "node:path";
import { buildBrokerPackage } from "./broker-package";
import { BrokerStack } from "./broker-stack";
import { stackEnvironments } from "./environments";

const app = new App();
const packages = join(__dirname, "..", ".gen", "packages");
for (const s of stackEnvironments(join(__dirname, "..", "policies"))) {
  // A build step before synthesis: one artifact, the broker bundled with this environment's compiled policy.
  const pkg = buildBrokerPackage(s.runtimeConfig, packages);
  new BrokerStack(app, s.stackId, { infra: s.infra, packagePath: pkg.zipPath });
}
app.synth();
