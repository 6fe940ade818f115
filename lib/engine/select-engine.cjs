/**
 * The one seam between the stacks and their CDK engine. The constructs and stacks are written once, against cdktf
 * 0.21 and @cdktf/provider-azurerm (their TypeScript types stay cdktf's). Loaded before the app (cdktf.json's app
 * runner, run-app.cjs, requires it first; `node --require` does the same for any other entry), this module picks
 * the engine from TOKEN_BROKER_ENGINE:
 *
 *   unset or `cdktf`  CDKTF 0.21 (the default the design names): nothing is remapped.
 *   `cdktn`           CDK Terrain: every `require("cdktf")` and `require("@cdktf/provider-azurerm/...")`, from any
 *                     file, resolves to `cdktn` and `@cdktn/provider-azurerm/...` instead.
 *
 * Why a module-resolution switch and not a re-exporting `lib/engine` module: the prebuilt provider bindings are
 * jsii-generated CommonJS that `require("cdktf")` themselves. `@cdktf/provider-time` (time_sleep) and
 * `@cdktf/provider-azuread` have no `@cdktn/*` build on npm, so only a switch that applies to every requirer makes
 * their classes extend cdktn's TerraformResource too. A re-export would leave them on cdktf's classes, two engines'
 * constructs in one stack: cdktn 0.24's synth then fails on them (docs/cdk-terrain.md, "How the switch works").
 *
 * Scope: CommonJS resolution (Module._resolveFilename), which is how the app's bundle and tsx load packages
 * (package.json has no `"type": "module"`) and how both engines and every provider binding load. Jest resolves modules itself, so
 * tests that want cdktn synthesize in a child process (test/stacks/engines/) or run under
 * test/stacks/engines/jest.cdktn.config.cjs, which maps the same table (cdktn-aliases.cjs) in jest's registry.
 */
"use strict";

const Module = require("node:module");
const { dirname, sep } = require("node:path");
const { cdktnRequestFor } = require("./cdktn-aliases.cjs");

const ENGINES = ["cdktf", "cdktn"];
const chosen = process.env.TOKEN_BROKER_ENGINE || "cdktf";

if (!ENGINES.includes(chosen)) {
  // A setting mistake, not a bug: one line on stderr and a failing exit, before the app loads anything.
  process.stderr.write(
    `token-broker: TOKEN_BROKER_ENGINE=${JSON.stringify(chosen)} is not an engine this project synthesizes with; ` +
      `use ${ENGINES.join(" or ")} (unset means cdktf)\n`,
  );
  process.exit(2);
}

if (chosen === "cdktn") {
  // The cdktf package's own folder: a file resolved inside it while cdktn is selected means something reached cdktf
  // by a path this switch cannot see (an absolute path, say). Stop there rather than synthesize a mixed tree.
  let cdktfDir;
  try {
    cdktfDir = dirname(require.resolve("cdktf/package.json")) + sep;
  } catch {
    cdktfDir = undefined; // cdktf not installed: nothing can leak into it
  }
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveForCdktn(request, parent, ...rest) {
    const mapped = typeof request === "string" ? cdktnRequestFor(request) : null;
    const file = resolve.call(this, mapped ?? request, parent, ...rest);
    if (cdktfDir && typeof file === "string" && file.startsWith(cdktfDir)) {
      throw new Error(
        `TOKEN_BROKER_ENGINE=cdktn, yet ${JSON.stringify(request)} from ${parent?.filename ?? "?"} resolves into ` +
          `cdktf (${file}): constructs of two engines in one stack would be lost or mis-resolved at synthesis`,
      );
    }
    return file;
  };
}

module.exports = { engine: chosen };
