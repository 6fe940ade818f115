#!/usr/bin/env node
// The `token-broker` command. tsx runs the TypeScript sources directly, so there is no build step to forget.
require("tsx/cjs/api").register();
require("./main.ts")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
