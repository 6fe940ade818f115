/**
 * A second CDKTF app for the engine comparison: the parts of the platform that the repository's own app does not
 * synthesize for policies/ today, for production (the private network variant, and the shared store a revocation policy brings:
 * Azure Managed Redis, its access-policy template deployment, private endpoints and DNS zones), so their bindings
 * are compared under both engines too. Run by test/stacks/engines/synth-app.ts as the app command's entry point.
 */
import { App } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { filesOnDisk } from "../../../lib/policy/authoring/policy-files";
import { BrokerStack } from "../../../stacks/broker-stack";
import { stackEnvironments } from "../../../stacks/environments";

const policies = join(__dirname, "..", "..", "..", "policies");
// The example policy plus a revocation section: the compiler then asks for the shared store (infra.sharedStore).
const withRevocation = (text: string) =>
  text.replace(/\nenvironments:|$/, (m) => `\nrevocation:\n  adminRoles: [admin]\n${m}`);
const files = {
  ...filesOnDisk(policies),
  read: (f: string) => (f.endsWith("policy.yaml") ? withRevocation(readFileSync(f, "utf8")) : readFileSync(f, "utf8")),
};

const app = new App();
// Production only: Private Link origins need Front Door Premium, which only production gets, and an ephemeral
// environment has no shared store. No process.env: both engines see the same inputs.
for (const s of stackEnvironments(files, undefined, {})) {
  if (s.infra.environment.stage !== "production") continue;
  new BrokerStack(app, `${s.stackId}-private`, {
    infra: s.infra,
    network: "private",
    now: new Date("2026-11-22T00:00:00Z"),
  });
}
app.synth();
