/**
 * Preloaded (`node --require`) into an app run by test/stacks/engines/synth-app.ts: on exit it writes which CDK
 * engine and provider-binding packages the process loaded, and the UTC day it ran on, to TB_ENGINE_RECORD. This is
 * how the test sees that a cdktn run never touched cdktf (a mixed tree is the failure the engine switch must prevent).
 */
"use strict";

const { writeFileSync } = require("node:fs");

const out = process.env.TB_ENGINE_RECORD;
if (!out) throw new Error("record-engine-packages: TB_ENGINE_RECORD (the file to write) is not set");
const day = new Date().toISOString().slice(0, 10);

process.on("exit", () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    // The last node_modules segment names the package a file belongs to (posix and win32 separators).
    const m = /[\\/]node_modules[\\/]((?:@cdktf|@cdktn)[\\/][^\\/]+|cdktf|cdktn)[\\/](?!.*[\\/]node_modules[\\/])/.exec(
      file,
    );
    if (m) packages.add(m[1].replace("\\", "/"));
  }
  writeFileSync(
    out,
    JSON.stringify({ packages: [...packages].sort(), days: [day, new Date().toISOString().slice(0, 10)] }),
  );
});
