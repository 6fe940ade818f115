/**
 * The ephemeral workflow's synth step, offline: broker-pr-<n> with its state in the azurerm backend keyed by the PR
 * when the TOKEN_BROKER_STATE_* settings are given (local state only when none), tags and the expiry date.
 */
import { Testing } from "cdktf";
import { join } from "node:path";
import { BrokerStack } from "../../stacks/broker-stack";
import { stackEnvironments, stateFromEnvironment } from "../../stacks/environments";
import { ROOT } from "../policy/helpers";
import { only, type Resources } from "./helpers";

const STATE = {
  TOKEN_BROKER_STATE_RESOURCE_GROUP: "rg-tfstate",
  TOKEN_BROKER_STATE_STORAGE_ACCOUNT: "sttfstatedocs",
  TOKEN_BROKER_STATE_CONTAINER: "tfstate-pr",
};

function synthPr(pr: string, environ: NodeJS.ProcessEnv, now: Date) {
  const envs = stackEnvironments(join(ROOT, "policies"), pr, environ);
  const s = envs.find((e) => e.stackId === `broker-pr-${pr}`)!;
  const stack = new BrokerStack(Testing.app(), s.stackId, { infra: s.infra, now });
  return {
    json: JSON.parse(Testing.synth(stack, true)) as { terraform: Record<string, any>; resource: Resources },
    envs,
  };
}

describe("broker-pr-<n> state and expiry", () => {
  const now = new Date("2026-11-25T18:00:00Z");
  const remote = synthPr("42", STATE, now);

  it("keeps pr-42's state in the azurerm backend as pr-42.tfstate, with Entra auth", () => {
    expect(remote.json.terraform.backend).toEqual({
      azurerm: {
        resource_group_name: "rg-tfstate",
        storage_account_name: "sttfstatedocs",
        container_name: "tfstate-pr",
        key: "pr-42.tfstate",
        use_azuread_auth: true,
      },
    });
  });

  it("leaves dev and prod on their own configured state", () => {
    const prod = remote.envs.find((e) => e.stackId === "broker-prod")!;
    expect(prod.infra.azure.state).toEqual({
      resourceGroup: "rg-tfstate",
      storageAccount: "sttfstatedocs",
      container: "tfstate-prod",
    });
  });

  it("tags the environment and sets expires-on to deploy day + expiresAfterDays (3)", () => {
    expect(only(remote.json.resource, "azurerm_resource_group").tags).toMatchObject({
      env: "pr-42",
      "managed-by": "cdktf",
      "expires-on": "2026-11-28",
    });
    const lateInMonth = synthPr("7", STATE, new Date("2026-12-30T23:30:00Z"));
    expect(only(lateInMonth.json.resource, "azurerm_resource_group").tags["expires-on"]).toBe("2027-01-02");
  });

  it("uses local state only when no state backend settings are given", () => {
    expect(synthPr("42", {}, now).json.terraform.backend).toEqual({
      local: { path: "terraform.broker-pr-42.tfstate" },
    });
  });

  it("in CI, refuses an ephemeral environment without remote state instead of silently using local state (issue 22 item 13)", () => {
    for (const ci of [{ CI: "true" }, { GITHUB_ACTIONS: "true" }]) {
      expect(() => stackEnvironments(join(ROOT, "policies"), "42", ci)).toThrow(
        "pr-42: an ephemeral environment in CI needs remote state, or its destroy finds nothing and leaks everything; set TOKEN_BROKER_STATE_RESOURCE_GROUP, TOKEN_BROKER_STATE_STORAGE_ACCOUNT and TOKEN_BROKER_STATE_CONTAINER",
      );
    }
    // With the state settings, or outside CI, or without a pull request (dev and prod have their own state): fine.
    expect(stackEnvironments(join(ROOT, "policies"), "42", { CI: "true", ...STATE }).map((e) => e.name)).toContain(
      "pr-42",
    );
    expect(stackEnvironments(join(ROOT, "policies"), "42", { CI: "false" }).map((e) => e.name)).toContain("pr-42");
    expect(stackEnvironments(join(ROOT, "policies"), undefined, { CI: "true" }).map((e) => e.name)).toEqual([
      "dev",
      "prod",
    ]);
  });

  it("tags the resource group with the repository from GITHUB_REPOSITORY, for the expiry sweep (issue 22 item 14)", () => {
    const tagged = synthPr("42", { ...STATE, GITHUB_REPOSITORY: "octo/broker" }, now);
    expect(only(tagged.json.resource, "azurerm_resource_group").tags).toMatchObject({
      env: "pr-42",
      repository: "octo/broker",
    });
    expect(only(remote.json.resource, "azurerm_resource_group").tags.repository).toBeUndefined();
  });

  it("refuses half a backend configuration", () => {
    expect(() => stateFromEnvironment({ TOKEN_BROKER_STATE_RESOURCE_GROUP: "rg" })).toThrow(
      "remote state needs all of TOKEN_BROKER_STATE_RESOURCE_GROUP, TOKEN_BROKER_STATE_STORAGE_ACCOUNT, TOKEN_BROKER_STATE_CONTAINER; missing TOKEN_BROKER_STATE_STORAGE_ACCOUNT, TOKEN_BROKER_STATE_CONTAINER",
    );
  });
});
