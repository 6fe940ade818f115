import { decodeProtectedHeader, jwtVerify } from "jose";
import { activeFluidKey, mintFluidToken } from "../../../functions-src/mint/fluid-token";
import { requireSecret, SecretUnavailableError } from "../../../functions-src/secrets";

const KEY = "fluid-tenant-key-1";
const enc = (s: string) => new TextEncoder().encode(s);

describe("mintFluidToken", () => {
  const base = {
    tenantId: "tenant-a",
    documentId: "doc-1",
    scopes: ["doc:read", "doc:write"] as ("doc:read" | "doc:write")[],
    user: { id: "oid-1", name: "Ed" },
    ttlSeconds: 600,
    key: KEY,
    now: 1_900_000_000,
    jti: "j-1",
  };

  it("signs HS256 with the tenant key and carries exactly the Fluid claims", async () => {
    const t = mintFluidToken(base);
    expect(decodeProtectedHeader(t.jwt)).toEqual({ alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(t.jwt, enc(KEY), {
      algorithms: ["HS256"],
      currentDate: new Date(1_900_000_100_000),
    });
    expect(payload).toEqual({
      documentId: "doc-1",
      scopes: ["doc:read", "doc:write"],
      tenantId: "tenant-a",
      user: { id: "oid-1", name: "Ed" },
      iat: 1_900_000_000,
      exp: 1_900_000_600,
      ver: "1.0",
      jti: "j-1",
    });
    expect(t).toMatchObject({ jti: "j-1", expiresAt: 1_900_000_600 });
  });

  it("mints creation tokens with an empty documentId, and a fresh jti by default", async () => {
    const a = mintFluidToken({ ...base, documentId: "", jti: undefined });
    const b = mintFluidToken({ ...base, documentId: "", jti: undefined });
    expect(a.jti).not.toBe(b.jti);
    const { payload } = await jwtVerify(a.jwt, enc(KEY), { currentDate: new Date(1_900_000_100_000) });
    expect(payload.documentId).toBe("");
  });

  it("does not verify with another key", async () => {
    await expect(
      jwtVerify(mintFluidToken(base).jwt, enc("other-key"), { currentDate: new Date(1_900_000_100_000) }),
    ).rejects.toThrow();
  });

  it("refuses lifetimes above one hour and empty keys", () => {
    expect(() => mintFluidToken({ ...base, ttlSeconds: 3601 })).toThrow(RangeError);
    expect(() => mintFluidToken({ ...base, ttlSeconds: 0 })).toThrow(RangeError);
    expect(() => mintFluidToken({ ...base, key: "" })).toThrow(RangeError);
  });

  it("signs with the active key of key1/key2", async () => {
    const keys = { key1: "k1", key2: "k2", active: "key2" as const };
    const t = mintFluidToken({ ...base, key: activeFluidKey(keys) });
    await expect(jwtVerify(t.jwt, enc("k2"), { currentDate: new Date(1_900_000_100_000) })).resolves.toBeDefined();
    await expect(jwtVerify(t.jwt, enc("k1"), { currentDate: new Date(1_900_000_100_000) })).rejects.toThrow();
  });
});

describe("requireSecret", () => {
  it("returns a resolved secret and refuses a missing one or an unresolved Key Vault reference, without echoing it", () => {
    expect(requireSecret({ FLUID_KEY1: "abc" }, "FLUID_KEY1")).toBe("abc");
    for (const value of [
      undefined,
      "",
      "  ",
      "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/fluid-key1/)",
    ]) {
      try {
        requireSecret({ FLUID_KEY1: value }, "FLUID_KEY1");
        throw new Error("expected a refusal");
      } catch (e) {
        expect(e).toBeInstanceOf(SecretUnavailableError);
        expect((e as Error).message).toBe(
          "secret setting FLUID_KEY1 is missing or its Key Vault reference did not resolve",
        );
      }
    }
  });
});
