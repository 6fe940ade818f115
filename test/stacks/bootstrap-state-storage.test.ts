/** TerraformStateStorage's props: a fixed egress narrows the public endpoint; bad retention is refused early. */
import { Testing, TerraformStack } from "cdktf";
import { TerraformStateStorage } from "../../lib/constructs/bootstrap/state-storage";

function storage(props: Partial<ConstructorParameters<typeof TerraformStateStorage>[2]>) {
  const stack = new TerraformStack(Testing.app(), "s");
  new TerraformStateStorage(stack, "state", {
    resourceGroupName: "rg",
    location: "westeurope",
    accountName: "sttfstate12345",
    containers: { dev: "tfstate-dev" },
    tags: {},
    ...props,
  });
  const json = JSON.parse(Testing.synth(stack));
  return Object.values(json.resource.azurerm_storage_account)[0] as Record<string, any>;
}

it("with allowed IP ranges, the account denies every other address", () => {
  const account = storage({ allowedIpRanges: ["203.0.113.0/24"] });
  expect(account.public_network_access_enabled).toBe(true);
  expect(account.network_rules).toEqual({
    default_action: "Deny",
    ip_rules: ["203.0.113.0/24"],
    bypass: ["AzureServices"],
  });
});

it("without them (GitHub-hosted runners have no fixed addresses) no network rule is set", () => {
  expect(storage({}).network_rules).toBeUndefined();
});

it.each([0, 3, 400, 1.5])("refuses retentionDays %p (7-365)", (days) => {
  expect(() => storage({ retentionDays: days })).toThrow(/retentionDays must be 7-365/);
});
