/**
 * Jest configuration that runs the stack tests in-process on CDK Terrain: the project's jest configuration plus a
 * moduleNameMapper doing for jest's module registry what lib/engine/select-engine.cjs does for Node's
 * resolution, from the same table (lib/engine/cdktn-aliases.cjs) (jest resolves
 * modules itself, so the preload cannot reach it). `npm run test:cdktn`.
 */
"use strict";

const { join } = require("node:path");
const { jest: base } = require("../../../package.json");
const { CDKTN_ALIASES } = require("../../../lib/engine/cdktn-aliases.cjs");

const rootDir = join(__dirname, "..", "..", "..");

module.exports = {
  ...base,
  rootDir,
  globalSetup: base.globalSetup?.replace("<rootDir>", rootDir),
  moduleNameMapper: { ...base.moduleNameMapper, ...CDKTN_ALIASES },
  // Read by in-process-engine.test.ts, which checks that the mapping took effect.
  globals: { ...base.globals, TOKEN_BROKER_JEST_ENGINE: "cdktn" },
};
