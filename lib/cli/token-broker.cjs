#!/usr/bin/env node
// The `token-broker` command. tsx runs the TypeScript sources directly, so there is no build step to forget.
// A crash exits 70 (EX_SOFTWARE, sysexits.h), never 1: 1 is a verdict ("policy errors or failing tests") that a
// workflow acts on, and a crash must not read as one. main() answers every error with an exit code (70 for an
// internal one); the catch covers a failure to load it. Only the message is printed unless --debug.
// deploy-check synthesizes in-process: on the engine TOKEN_BROKER_ENGINE selects, as `cdktf synth` does through
// cdktf.json (docs/cdk-terrain.md); unset, nothing changes.
require("../engine/select-engine.cjs");
require("tsx/cjs/api").register();
const debug = process.argv.includes("--debug");
Promise.resolve()
  .then(() => require("./main.ts").main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`token-broker: internal error: ${debug ? e.stack : String(e.message).split("\n")[0]}\n`);
      process.exitCode = 70;
    },
  );
