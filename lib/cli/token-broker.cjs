#!/usr/bin/env node
// The `token-broker` command. tsx runs the TypeScript sources directly, so there is no build step to forget.
// A crash exits 70 (EX_SOFTWARE, sysexits.h), never 1: 1 is a verdict ("policy errors or failing tests") that a
// workflow acts on, and a crash must not read as one. Only the message is printed, no stack trace.
require("tsx/cjs/api").register();
require("./main.ts")
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`token-broker: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 70;
    },
  );
