/**
 * The function app refuses to start on a policy hash mismatch: the deployed bundle (the same artifact the stack
 * deploys) is loaded in a fresh Node process as the Functions host loads it, and the source entry is required here.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBrokerPackage, unpackBrokerPackage } from "../../stacks/broker-package";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";

const policy = `version: 1
issuers:
  idp: { type: oidc, issuer: https://idp.example, audiences: [api://broker], claims: { sub: { type: string } } }
resources: { fluid: {} }
roles:
  reader:
    when: { claim: sub, equals: alice }
    grants: [{ fluid: { documents: "*", scopes: [doc:read], ttl: 10m } }]
environments: { dev: { stage: development } }
`;
const { config } = compilePolicy(loadOk(filesInMemory(policy)), "dev");
const dir = mkdtempSync(join(tmpdir(), "tb-start-"));
unpackBrokerPackage(buildBrokerPackage(config, dir).zipPath, dir);

/** Load index.js the way the host does (require at start), with these app settings. */
function start(settings: Record<string, string>) {
  const env = { PATH: process.env.PATH, ...settings };
  return spawnSync(process.execPath, ["-e", `require(${JSON.stringify(join(dir, "index.js"))})`], {
    env,
    encoding: "utf8",
    timeout: 20_000,
  });
}

describe("issue 7.6 the broker refuses to start on a policy hash mismatch", () => {
  it("the deployed bundle starts with the matching hash and throws at load with a mismatched one", () => {
    const ok = start({ TOKEN_BROKER_POLICY_HASH: config.policyHash });
    expect(ok.stderr).not.toContain("Error");
    expect(ok.status).toBe(0);
    const bad = start({ TOKEN_BROKER_POLICY_HASH: "sha256-0000" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("does not match TOKEN_BROKER_POLICY_HASH");
    expect(bad.stderr).toContain("refusing to start");
  });

  it("the source entry throws when required with a mismatched setting", () => {
    const saved = { ...process.env };
    process.env.TOKEN_BROKER_POLICY_FILE = join(dir, "policy.json");
    process.env.TOKEN_BROKER_POLICY_HASH = "sha256-0000";
    try {
      jest.isolateModules(() => {
        expect(() => require("../../functions-src/index")).toThrow(/does not match TOKEN_BROKER_POLICY_HASH/);
      });
      process.env.TOKEN_BROKER_POLICY_HASH = config.policyHash;
      jest.isolateModules(() => {
        expect(() => require("../../functions-src/index")).not.toThrow();
      });
    } finally {
      process.env = saved;
    }
  });
});
