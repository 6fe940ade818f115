/**
 * Test-only preload: makes CDK Terrain's Log Analytics workspace binding drop `retention_in_days`, as a provider
 * schema rename between azurerm releases would (a binding emits only the attributes its schema knows). The engine
 * comparison must report that difference rather than pass (test/stacks/engines/engines-compare.test.ts).
 * An attribute no secure-default rule reads, on purpose: dropping `min_tls_version` already stops synthesis at
 * TB-ST-002 (lib/constructs/secure-defaults.ts), under either engine.
 */
"use strict";

const { LogAnalyticsWorkspace } = require("@cdktn/provider-azurerm/lib/log-analytics-workspace");

const synthesize = LogAnalyticsWorkspace.prototype.synthesizeAttributes;
LogAnalyticsWorkspace.prototype.synthesizeAttributes = function withoutRetention() {
  const attributes = synthesize.call(this);
  delete attributes.retention_in_days;
  return attributes;
};
