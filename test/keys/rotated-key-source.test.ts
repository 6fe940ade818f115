/**
 * The broker's key source against the Key Vault contract double over HTTP (the real reader): the bound the rotation
 * relies on (no document older than maxAgeMs is ever used), 503 rather than a guess, and no key in any error.
 */
import { SecretUnavailableError } from "../../functions-src/errors";
import { KEY_DOCUMENT_FORMAT, KEY_SECRET } from "../../functions-src/keys/key-document";
import { keyVaultSecretReader } from "../../functions-src/keys/key-vault-secret-reader";
import { RotatedKeySource } from "../../functions-src/keys/rotated-key-source";
import { fluidSettings } from "../../functions-src/settings";
import { AzureKeysRestContractDouble, testCredential } from "../../lib/local/azure-keys-rest-contract-double";

const vault = new AzureKeysRestContractDouble({});
beforeAll(() => vault.start());
afterAll(() => vault.stop());

const bearer = async () => (await testCredential.getToken("https://vault.azure.net/.default"))!.token;
const put = (name: string, value: string) =>
  vault.secrets.set(name, [...(vault.secrets.get(name) ?? []), { value, version: String(Date.now()) }]);
const document = (active: "key1" | "key2", key1 = "secret-key-one", key2 = "secret-key-two") =>
  JSON.stringify({
    format: KEY_DOCUMENT_FORMAT,
    active,
    key1,
    key2,
    switchedAt: new Date().toISOString(),
    regeneratedAt: {},
  });

it("answers 503 (never a placeholder) until the rotation has written a document, then serves it", async () => {
  let now = 0;
  const source = new RotatedKeySource(keyVaultSecretReader(vault.vaultUrl, bearer), [KEY_SECRET.fluid], {
    refreshMs: 1000,
    maxAgeMs: 5000,
    now: () => now,
  });
  await source.ready();
  source.stop();
  const settings = fluidSettings({ FLUID_TENANT_ID: "t" }, source)!;
  expect(() => settings()).toThrow(SecretUnavailableError);
  put(KEY_SECRET.fluid, document("key2"));
  now = 1000; // due: the next use starts a reread
  expect(() => settings()).toThrow(SecretUnavailableError);
  await new Promise((r) => setTimeout(r, 50));
  expect(settings()).toMatchObject({ tenantId: "t", key1: "secret-key-one", key2: "secret-key-two", active: "key2" });
});

it("keeps the last document through a vault outage, but never past maxAgeMs; then 503 until the vault answers", async () => {
  let now = 0;
  put(KEY_SECRET.fluid, document("key1"));
  const source = new RotatedKeySource(keyVaultSecretReader(vault.vaultUrl, bearer), [KEY_SECRET.fluid], {
    refreshMs: 1000,
    maxAgeMs: 3000,
    now: () => now,
  });
  await source.ready();
  source.stop();
  vault.faults.vaultStatus = 503;
  try {
    now = 2999;
    expect(source.current(KEY_SECRET.fluid).active).toBe("key1"); // starts a reread, which fails
    await new Promise((r) => setTimeout(r, 50));
    now = 3001; // the copy read at 0 is now too old to sign with
    let error: unknown;
    try {
      source.current(KEY_SECRET.fluid);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(String((error as Error).message)).not.toContain("secret-key");
  } finally {
    vault.faults.vaultStatus = 0;
  }
  await new Promise((r) => setTimeout(r, 50)); // the reread started by the failed use
  expect(source.current(KEY_SECRET.fluid).active).toBe("key1");
});

it("a document that is not a key document is a missing key (503), not a key", async () => {
  put(KEY_SECRET.cosmos, JSON.stringify({ format: KEY_DOCUMENT_FORMAT, active: "key3", key1: "a", key2: "b" }));
  const source = new RotatedKeySource(keyVaultSecretReader(vault.vaultUrl, bearer), [KEY_SECRET.cosmos]);
  await source.ready();
  source.stop();
  expect(() => source.current(KEY_SECRET.cosmos)).toThrow(SecretUnavailableError);
  expect(() => new RotatedKeySource(async () => undefined, [], { refreshMs: 10, maxAgeMs: 5 })).toThrow(RangeError);
});
