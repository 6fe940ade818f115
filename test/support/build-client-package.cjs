// Jest global setup: tests that import `@azure-token-broker/client` load the built package (lib/client/dist), as an
// app would. Rebuilt here only when a client source is newer than the build, so an edit is never tested stale.
const { execFileSync } = require("node:child_process");
const { join } = require("node:path");

module.exports = function buildClientPackage() {
  const script = join(__dirname, "..", "..", "lib", "client", "build", "build.mjs");
  execFileSync(process.execPath, [script, "--if-stale"], { stdio: "inherit" });
};
