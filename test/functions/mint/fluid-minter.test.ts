import { jwtVerify } from "jose";
import type { GrantedCredential } from "../../../lib/policy/runtime/evaluate";
import { createFluidMinter, type FluidSettings } from "../../../functions-src/mint/fluid-minter";
import type { MintContext } from "../../../functions-src/mint/minter";

type FluidGrant = Extract<GrantedCredential, { type: "fluid" }>;
const grant = (over: Partial<FluidGrant> = {}): FluidGrant => ({
  request: 0,
  type: "fluid",
  grant: "editor#0",
  documentId: "doc-1",
  create: false,
  scopes: ["doc:read", "doc:write"],
  ttlSeconds: 3600,
  ...over,
});
const ctx = (over: Partial<MintContext> = {}): MintContext => ({
  subject: "ed",
  issuer: "idp",
  claims: { name: "Ed" },
  now: 1_900_000_000_000,
  ...over,
});

describe("Fluid minter cache", () => {
  const settings: FluidSettings = {
    tenantId: "t",
    endpoint: "https://fluid.example",
    key1: "key-one",
    key2: "key-two",
    active: "key1",
  };
  let current = settings;
  const minter = () => createFluidMinter(() => current);

  it("hands a repeat caller the same token while it has time left", async () => {
    const m = minter();
    const a = await m.mint(grant(), ctx());
    const b = await m.mint(grant(), ctx({ now: 1_900_000_000_000 + 60_000 }));
    expect(b.token).toBe(a.token);
  });

  it("mints anew for a shorter grant, near expiry, for another caller, document or scopes", async () => {
    const m = minter();
    const a = await m.mint(grant(), ctx());
    expect((await m.mint(grant({ ttlSeconds: 600 }), ctx())).token).not.toBe(a.token);
    expect((await m.mint(grant(), ctx({ now: 1_900_000_000_000 + 3600_000 - 120_000 }))).token).not.toBe(a.token);
    expect((await m.mint(grant(), ctx({ subject: "other" }))).token).not.toBe(a.token);
    expect((await m.mint(grant({ documentId: "doc-2" }), ctx())).token).not.toBe(a.token);
    expect((await m.mint(grant({ scopes: ["doc:read"] }), ctx())).token).not.toBe(a.token);
  });

  it("never caches creation tokens, and a key rotation misses the cache", async () => {
    const m = minter();
    const c1 = await m.mint(grant({ documentId: "", create: true }), ctx());
    const c2 = await m.mint(grant({ documentId: "", create: true }), ctx());
    expect(c2.token).not.toBe(c1.token);
    const before = await m.mint(grant(), ctx());
    current = { ...settings, active: "key2" };
    try {
      const after = await m.mint(grant(), ctx());
      expect(after.token).not.toBe(before.token);
      await expect(
        jwtVerify(String(after.token), new TextEncoder().encode("key-two"), {
          currentDate: new Date(1_900_000_001_000),
        }),
      ).resolves.toBeDefined();
    } finally {
      current = settings;
    }
  });

  it("names the user by the name claim, or by the subject when there is none", async () => {
    const m = minter();
    const named = await m.mint(grant({ documentId: "n1" }), ctx());
    const anonymous = await m.mint(grant({ documentId: "n2" }), ctx({ claims: {} }));
    const decode = (t: unknown) => JSON.parse(Buffer.from(String(t).split(".")[1], "base64url").toString()).user;
    expect(decode(named.token)).toEqual({ id: "ed", name: "Ed" });
    expect(decode(anonymous.token)).toEqual({ id: "ed", name: "ed" });
  });
});
