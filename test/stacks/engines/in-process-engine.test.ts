/**
 * In-process synthesis under jest runs on the engine its configuration selects: cdktf with the project's jest
 * configuration, CDK Terrain with test/stacks/engines/jest.cdktn.config.cjs (`npm run test:cdktn`), whose
 * moduleNameMapper applies lib/engine/cdktn-aliases.cjs to every module jest loads, the bindings' own requires
 * included. Without this check, a mapping that silently failed would run the stack tests on cdktf twice.
 */
import { Testing, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { Application } from "@cdktf/provider-azuread/lib/application";
import { bindingProviderVersion } from "./engine-differences";

const engine: "cdktf" | "cdktn" =
  (globalThis as { TOKEN_BROKER_JEST_ENGINE?: "cdktn" }).TOKEN_BROKER_JEST_ENGINE ?? "cdktf";
const binding = engine === "cdktn" ? "@cdktn/provider-azurerm" : "@cdktf/provider-azurerm";

it(`synthesizes on ${engine}, the cdktf-built time and azuread bindings included`, () => {
  const real = require(engine === "cdktn" ? "cdktn" : "cdktf");
  expect(TerraformStack).toBe(real.TerraformStack);
  expect(Sleep.prototype).toBeInstanceOf(real.TerraformResource);

  const stack = new TerraformStack(Testing.app(), "engine-probe");
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  new TimeProvider(stack, "time");
  new Sleep(stack, "wait", { createDuration: "30s" });
  new AzureadProvider(stack, "azuread");
  new Application(stack, "probe", { displayName: "engine probe" });
  const json = JSON.parse(Testing.synth(stack));
  expect(json.terraform.required_providers.azurerm.version).toBe(bindingProviderVersion(binding, engine));
  expect(Object.keys(json.resource.time_sleep)).toEqual(["wait"]);
  expect(json.resource.azuread_application.probe.display_name).toBe("engine probe");
  // No @cdktn build of these two: the same provider release under both engines.
  expect(json.terraform.required_providers.azuread.version).toBe(
    bindingProviderVersion("@cdktf/provider-azuread", "cdktf"),
  );
  expect(json.terraform.required_providers.time.version).toBe(bindingProviderVersion("@cdktf/provider-time", "cdktf"));
});
