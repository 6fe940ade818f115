/** The `revocation` and `rateLimit` sections: schema, positioned checks, compile, infra needs. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { diagnose, filesInMemory, loadOk } from "./helpers";

const MINIMAL = readFileSync(join(__dirname, "fixtures", "minimal.yaml"), "utf8");
const withSection = (yaml: string) => MINIMAL.replace("environments:", `${yaml}\nenvironments:`);

describe("policy sections for shared state", () => {
  it("compiles revocation and a global rate limit with their defaults, and asks for the store", () => {
    const bundle = loadOk(
      filesInMemory(withSection("revocation:\n  adminRoles: [reader]\nrateLimit:\n  scope: global\n  perSecond: 5")),
    );
    const { config, infra } = compilePolicy(bundle, "dev");
    expect(config.revocation).toEqual({ adminRoles: ["reader"], onStoreDown: "deny", maxTokenLifetimeSeconds: 86400 });
    expect(config.rateLimit).toEqual({ scope: "global", perSecond: 5, burst: 20 });
    expect(infra.sharedStore).toEqual({ reasons: ["revocation", "global-rate-limit"] });
  });

  it("leaves the config, its hash and the infra untouched when the sections are absent", () => {
    const plain = compilePolicy(loadOk(filesInMemory(MINIMAL)), "dev");
    expect(plain.config.revocation).toBeUndefined();
    expect(plain.infra.sharedStore).toBeUndefined();
    const instanceOnly = compilePolicy(loadOk(filesInMemory(withSection("rateLimit:\n  perSecond: 5"))), "dev");
    expect(instanceOnly.infra.sharedStore).toBeUndefined();
    expect(instanceOnly.config.policyHash).not.toBe(plain.config.policyHash);
  });

  it.each([
    ["revocation:\n  adminRoles: [raeder]", "E_UNKNOWN_ROLE", 34, 16, "did you mean 'reader'?"],
    ["revocation:\n  adminRoles: [reader]\n  maxTokenLifetime: 8d", "E_TTL_LIMIT", 35, 21, "above 7d"],
    ["revocation:\n  adminRoles: [reader]\n  maxTokenLifetime: 30s", "E_DURATION", 35, 21, "at least 60s"],
    ["revocation:\n  adminRoles: [reader]\n  onStoreDown: maybe", "E_SCHEMA", 35, 16, "deny"],
    ["revocation:\n  onStoreDown: deny", "E_SCHEMA", 34, 3, "adminRoles"],
    ["rateLimit:\n  perSecond: 50", "E_SCHEMA", 34, 14, "raise burst"],
  ])("%j -> %s at %d:%d", (yaml, code, line, column, text) => {
    const found = diagnose(filesInMemory(withSection(yaml)));
    expect(found).toHaveLength(1);
    expect({ code: found[0].code, line: found[0].line, column: found[0].column }).toEqual({ code, line, column });
    expect(`${found[0].message} | ${found[0].hint}`).toContain(text);
  });
});
