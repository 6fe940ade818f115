/** `token-broker revoke` and `token-broker cosmos gc` against a real redis-server and the Cosmos contract double. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../lib/cli/main";
import { cosmosUserPrefix, createCosmosMinter } from "../../functions-src/mint/cosmos-minter";
import { RevocationList } from "../../functions-src/revocation/revocation-list";
import { RedisStore } from "../../functions-src/store/redis-store";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { LocalRedis } from "../../lib/local/redis";
import { revocationPolicy } from "../support/revocation-policy";

const redis = new LocalRedis();
const double = new CosmosRestContractDouble("db", { items: "/tenantId" });
const dir = mkdtempSync(join(tmpdir(), "tb-revoke-"));
const policyFile = join(dir, "policy.yaml");
let clock = Date.now();

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeAll(async () => {
  double.now = () => clock;
  await Promise.all([redis.start(), double.start()]);
  writeFileSync(policyFile, revocationPolicy("https://login.example.com"));
  Object.assign(process.env, { COSMOS_ENDPOINT: double.endpoint, COSMOS_KEY: double.key });
});
afterAll(async () => {
  delete process.env.COSMOS_ENDPOINT;
  delete process.env.COSMOS_KEY;
  await Promise.all([redis.stop(), double.stop()]);
});

const mint = (subject: string) =>
  createCosmosMinter(() => ({ endpoint: double.endpoint, key: double.key, database: "db" })).mint(
    {
      request: 0,
      type: "cosmos",
      grant: "editor#1",
      database: "db",
      container: "items",
      partitionKeyPath: "/tenantId",
      partitionKey: "contoso",
      access: "read",
      ttlSeconds: 600,
    },
    { subject, issuer: "idp", claims: {}, now: clock },
  );

it("revoke --subject writes the entry every broker reads, deletes the Cosmos metadata and prints the audit record", async () => {
  await mint("mallory");
  const r = await run(
    "revoke",
    "--env",
    "dev",
    "--subject",
    "mallory",
    "--reason",
    "INC-42",
    "--store",
    redis.url,
    policyFile,
  );
  expect(r).toMatchObject({ code: 0, err: "" });
  const audit = JSON.parse(r.out.split("\n")[0]).audit;
  expect(audit).toMatchObject({
    event: "revoked",
    type: "subject",
    subject: "mallory",
    reason: "INC-42",
    by: expect.stringMatching(/^cli:/),
  });
  expect(r.out).toContain("Cosmos: 1 permission(s), 1 user(s) deleted");
  expect(double.userIds().filter((id) => id.startsWith(cosmosUserPrefix("idp", "mallory")))).toEqual([]);
  const store = await RedisStore.connect({ url: redis.url });
  try {
    const list = new RevocationList(store, { maxTokenLifetimeSeconds: 3600 });
    expect(await list.isRevoked("idp", "mallory", undefined)).toBe(true);
    expect(await list.isRevoked("idp", "alice", undefined)).toBe(false);
  } finally {
    await store.close();
  }
});

it.each([
  [["--subject", "a", "--jti", "b"], 2, "exactly one of --subject and --jti"],
  [["--jti", "b", "--issuer", "idp"], 2, "--issuer goes with --subject"],
  [["--subject", "a", "--issuer", "other"], 2, "one of this policy's issuers: idp"],
  [["--subject", "a", "--store", "redis://127.0.0.1:1"], 1, "cannot be reached"],
])("revoke %j -> exit %d", async (args, code, text) => {
  const r = await run(
    "revoke",
    "--env",
    "dev",
    ...(args as string[]),
    ...(args.includes("--store") ? [] : ["--store", redis.url]),
    policyFile,
  );
  expect(r.code).toBe(code);
  expect(r.err).toContain(text);
});

it("refuses to revoke when the policy does not turn revocation on", async () => {
  const plain = join(dir, "plain.yaml");
  writeFileSync(
    plain,
    readFileSync(policyFile, "utf8")
      .replace(/revocation:\n( {2}.*\n)+/, "")
      .replace(/ {2}responder:\n.*\n/, ""),
  );
  const r = await run("revoke", "--env", "dev", "--subject", "a", "--store", redis.url, plain);
  expect([r.code, r.err]).toEqual([1, expect.stringContaining("revocation is not on")]);
});

it("cosmos gc deletes the users whose permissions all expired long ago and keeps the others", async () => {
  // The CLI runs on the real clock: the double dates the old callers' permissions two days back.
  clock = Date.now() - 2 * 86_400_000;
  for (const s of ["old-1", "old-2"]) await mint(s);
  clock = Date.now();
  await mint("recent");
  const r = await run("cosmos", "gc", "--env", "dev", "--expired-for", "1h", "--store", redis.url, policyFile);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/deleted 2\b/);
  expect(double.userIds().map((id) => id.slice(0, cosmosUserPrefix("", "").length))).toEqual([
    cosmosUserPrefix("idp", "recent"),
  ]);
});

it("cosmos gc needs no shared store: deletes are conditional on the listed _etag", async () => {
  delete process.env.SHARED_STORE_URL;
  clock = Date.now() - 2 * 86_400_000;
  await mint("old-3");
  clock = Date.now();
  const r = await run("cosmos", "gc", "--env", "dev", "--expired-for", "1h", policyFile);
  expect([r.code, r.err]).toEqual([0, ""]);
  expect(r.out).toMatch(/deleted 1\b/);
  expect(double.userIds().some((id) => id.startsWith(cosmosUserPrefix("idp", "old-3")))).toBe(false);
});
