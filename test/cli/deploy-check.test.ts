/**
 * `token-broker deploy-check` passes on every shipped environment, and names each problem of a deliberately broken
 * synthesis (escape-hatch overrides, as a hand edit of a construct would produce them), including the defects of
 * issue 22 as the stacks had them.
 */
import type { TerraformResource } from "cdktf";
import { deployCheckCommand } from "../../lib/cli/deploy-check-command";
import type { SynthesizedStack } from "../../lib/constructs/deploy-checks";
import type { BrokerStack } from "../../stacks/broker-stack";
import type { KeyVault } from "../../lib/constructs/key-vault";

function run(argv: string[], build?: (stack: BrokerStack) => void, edit?: (json: SynthesizedStack) => void) {
  const out: string[] = [];
  const err: string[] = [];
  const code = deployCheckCommand(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
    // Outside CI, whatever runs these tests (CI itself sets CI=true); the CI case has its own test below.
    { build, edit, environ: { PATH: process.env.PATH } },
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

it("in CI, refuses an ephemeral environment without remote state with the variables to set (exit 1)", () => {
  const err: string[] = [];
  const code = deployCheckCommand(
    ["--env", "pr-42"],
    () => undefined,
    (s) => err.push(s),
    {
      environ: { CI: "true" },
    },
  );
  expect(code).toBe(1);
  expect(err.join("\n")).toContain("pr-42: an ephemeral environment in CI needs remote state");
  expect(err.join("\n")).toContain("TOKEN_BROKER_STATE_STORAGE_ACCOUNT");
});

/** The construct's Terraform resource, to override as a hand edit would. */
const node = (stack: BrokerStack, path: string) =>
  stack.node
    .findChild("platform")
    .node.findChild(path.split("/")[0])
    .node.findChild(path.split("/")[1]) as TerraformResource;

it.each(["dev", "prod", "pr-42"])(
  "passes on the shipped environment %s, and says what only Azure can confirm",
  (env) => {
    const r = run(["--env", env]);
    expect(r.err).toBe("");
    expect(r.out).toContain(`deploy-check broker-${env}`);
    expect(r.out).toMatch(/^ok {3}DC-KV-REF/m);
    expect(r.out).not.toContain("FAIL");
    expect(r.out).toMatch(/Only Azure can confirm:\n {2}- globally unique names/);
    expect(r.code).toBe(0);
  },
);

it("fails on a broken synthesis, naming the check, the resource and the problem", () => {
  const r = run(["--stack", "broker-dev"], (stack) => {
    const app = node(stack, "broker/app");
    // Issue 22's stack as it was: zip_deploy_file, 1..1000, the provider's connection string, no RBAC wait.
    app.addOverride("zip_deploy_file", "assets/broker-package/X/broker-dev.zip");
    app.addOverride("maximum_instance_count", 1);
    app.addOverride("app_settings.AzureWebJobsStorage", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=;");
    app.addOverride("app_settings.ROTATED_KEYS", null);
    app.addOverride(
      "app_settings.COSMOS_KEY",
      "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.gone.versionless_id}/)",
    );
    // A secret (the stacks write none since keys rotate) that waits for the role assignment only, not its propagation.
    const vault = stack.node.findChild("platform").node.findChild("key-vault") as KeyVault;
    vault.addSecret("hand-added", "hand-added", "not-a-key").dependsOn = [
      node(stack, "key-vault/deployer-secrets-officer").fqn,
    ];
    node(stack, "key-vault/secrets-user-broker").addOverride("role_definition_name", "Key Vault Reader");
  });
  expect(r.code).toBe(1);
  const lines = r.out.split("\n");
  const failed = (id: string) => lines.find((l) => l.startsWith(`FAIL ${id}`));
  expect(failed("DC-KV-REF")).toBeDefined();
  expect(r.out).toMatch(
    /COSMOS_KEY refers to SecretUri=\$\{azurerm_key_vault_secret\.gone\.versionless_id\}\/, which is no azurerm_key_vault_secret of this stack/,
  );
  expect(r.out).toContain("app setting ROTATED_KEYS is not set");
  expect(r.out).toContain("AzureWebJobsStorage is set: a connection string wins over the identity settings");
  expect(r.out).toMatch(
    /the broker lacks Key Vault Secrets User on \$\{azurerm_key_vault\.[^}]+\.id\} \(Key Vault references and rotated keys\)/,
  );
  expect(r.out).toContain("zip_deploy_file fails on Flex Consumption");
  expect(r.out).toContain("maximum_instance_count 1 is outside 40..1000");
  expect(r.out).toMatch(/azurerm_key_vault_secret\.\S+hand-added\S*: writes a secret without waiting/);
  expect(r.out).toMatch(/deploy-check: \d+ problem\(s\)$/);
});

it("catches the provider's storage data-plane default and a route that would redirect without HTTP", () => {
  const r = run(
    ["--env", "dev"],
    (stack) => {
      node(stack, "front-door/route-0").addOverride("https_redirect_enabled", true);
      node(stack, "front-door/waf").addOverride("custom_block_response_status_code", 404);
      // What azurerm's zip_deploy_file asks for, and Flex Consumption refuses.
      node(stack, "broker/app").addOverride("app_settings.WEBSITE_RUN_FROM_PACKAGE", "1");
    },
    // The provider's default: data_plane_available true.
    (json) => delete (json.provider!.azurerm[0].features as Record<string, unknown>[])[0].storage,
  );
  expect(r.code).toBe(1);
  expect(r.out).toContain(
    "provider.azurerm: a storage account without shared keys needs features.storage.data_plane_available = false",
  );
  expect(r.out).toContain("https_redirect_enabled (default true) requires supported_protocols Http and Https");
  expect(r.out).toContain("custom_block_response_status_code 404 is not 200, 403, 405, 406 or 429");
  expect(r.out).toContain("Flex Consumption does not take app settings WEBSITE_RUN_FROM_PACKAGE");
});

it("usage: one of --env or --stack, and a known environment", () => {
  expect(run([]).code).toBe(2);
  const r = run(["--env", "staging"]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/no deployable environment 'staging'; have dev, prod/);
});
