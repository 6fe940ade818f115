/**
 * Which module requests CDK Terrain answers instead of cdktf, as one table: the engine switch
 * (select-engine.cjs, Node's resolution) and the in-process jest configuration (test/stacks/engines/
 * jest.cdktn.config.cjs, jest's moduleNameMapper) both read it. Same submodule paths and class names on both sides
 * (facts.md); bindings without a @cdktn build (time, azuread) are not listed: they load as they are, and their own
 * `require("cdktf")` is remapped.
 */
"use strict";

/** Regular expression source → replacement (`$1` = the submodule path), in jest's moduleNameMapper form. */
const CDKTN_ALIASES = Object.freeze({
  "^cdktf$": "cdktn",
  "^cdktf/(.*)$": "cdktn/$1",
  "^@cdktf/provider-azurerm$": "@cdktn/provider-azurerm",
  "^@cdktf/provider-azurerm/(.*)$": "@cdktn/provider-azurerm/$1",
});

const compiled = Object.entries(CDKTN_ALIASES).map(([pattern, to]) => [new RegExp(pattern), to]);

/** The request CDK Terrain answers for `request`, or null when it stays as it is. */
function cdktnRequestFor(request) {
  for (const [pattern, to] of compiled) {
    const m = pattern.exec(request);
    if (m) return to.replace("$1", m[1] ?? "");
  }
  return null;
}

module.exports = { CDKTN_ALIASES, cdktnRequestFor };
