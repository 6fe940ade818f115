import { decryptECToken, ECTokenError, ecTokenPlaintext, encryptECToken } from "../../lib/cdn/ectoken";
import { main } from "../../lib/cli/main";

// Published vector (github.com/VerizonDigital/ectoken, ECToken v3).
const VECTOR = {
  key: "MY_SECRET_KEY",
  token: "fVSYBBTynMkvQECGV-Kdfp333R-MGY2fsrrpVyuqd7OiuAUsQ8ITrL0",
  plaintext: "MY_COOL_TOKEN",
};

describe("ECToken v3", () => {
  it("decrypts the published vector", () => {
    expect(decryptECToken(VECTOR.key, VECTOR.token)).toBe(VECTOR.plaintext);
  });

  it("re-encrypts the vector byte for byte with its IV", () => {
    const iv = Buffer.from(VECTOR.token, "base64url").subarray(0, 12);
    expect(encryptECToken(VECTOR.key, VECTOR.plaintext, iv)).toBe(VECTOR.token);
  });

  it("round-trips ec_* parameters, with a fresh IV each time", () => {
    const plaintext = ecTokenPlaintext({
      expiresAt: 1_900_000_000,
      urlAllow: ["/tenants/t1/"],
      clientIp: "203.0.113.7",
      countryDeny: ["KP", "IR"],
      protoAllow: ["https"],
    });
    expect(plaintext).toBe(
      "ec_expire=1900000000&ec_url_allow=/tenants/t1/&ec_clientip=203.0.113.7&ec_country_deny=KP,IR&ec_proto_allow=https",
    );
    const a = encryptECToken("k", plaintext);
    const b = encryptECToken("k", plaintext);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decryptECToken("k", a)).toBe(plaintext);
  });

  it("refuses a wrong key, a flipped byte anywhere, a truncated or non-base64url token, with one message", () => {
    const raw = Buffer.from(VECTOR.token, "base64url");
    const flipped = (i: number) => {
      const copy = Buffer.from(raw);
      copy[i] ^= 0x01;
      return copy.toString("base64url");
    };
    const bad = ["WRONG", VECTOR.key.toLowerCase()].map((k) => () => decryptECToken(k, VECTOR.token));
    for (const i of [0, 11, 12, raw.length - 17, raw.length - 1])
      bad.push(() => decryptECToken(VECTOR.key, flipped(i)));
    bad.push(() => decryptECToken(VECTOR.key, VECTOR.token.slice(0, 20)));
    bad.push(() => decryptECToken(VECTOR.key, `${VECTOR.token}=`));
    bad.push(() => decryptECToken(VECTOR.key, ""));
    for (const f of bad) {
      expect(f).toThrow(ECTokenError);
      expect(f).toThrow("the token cannot be decrypted with this key (wrong key, or the token was altered)");
    }
  });
});

describe("token-broker cdn", () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      argv,
      (s) => out.push(s),
      (s) => err.push(s),
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("decrypt prints the plaintext and exits 0", async () => {
    expect(await run(["cdn", "decrypt", "--key", VECTOR.key, VECTOR.token])).toEqual({
      code: 0,
      out: VECTOR.plaintext,
      err: "",
    });
  });

  it("decrypt with a wrong key or an altered token exits 1 and prints no plaintext", async () => {
    const wrong = await run(["cdn", "decrypt", "--key", "nope", VECTOR.token]);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toBe("");
    const altered = await run(["cdn", "decrypt", "--key", VECTOR.key, `A${VECTOR.token.slice(1)}`]);
    expect(altered.code).toBe(1);
  });

  it("encrypt output decrypts back", async () => {
    const enc = await run(["cdn", "encrypt", "--key", "s3cret", "ec_expire=1900000000&ec_url_allow=/a/"]);
    expect(enc.code).toBe(0);
    expect((await run(["cdn", "decrypt", "--key", "s3cret", enc.out])).out).toBe(
      "ec_expire=1900000000&ec_url_allow=/a/",
    );
  });

  // base64url tokens begin with "-" one time in 64: CI once drew one, and an option parser took it for a flag.
  it("decrypts a token that begins with '-' or '--', given plainly, after --, or with --key=", async () => {
    const plaintext = "ec_expire=1900000000&ec_url_allow=/a/";
    // The token begins with the IV: 0b111110 is "-" in base64url, so IVs beginning 0xF8 and 0xFBE give "-A" and "--".
    const tokenWithIv = (...head: number[]) => {
      const iv = Buffer.alloc(12);
      iv.set(head);
      return encryptECToken("s3cret", plaintext, iv);
    };
    const dash = tokenWithIv(0xf8);
    const dashDash = tokenWithIv(0xfb, 0xe0);
    expect([dash.slice(0, 2), dashDash.slice(0, 3)]).toEqual(["-A", "--A"]);
    for (const token of [dash, dashDash]) {
      for (const argv of [
        ["cdn", "decrypt", "--key", "s3cret", token],
        ["cdn", "decrypt", token, "--key", "s3cret"],
        ["cdn", "decrypt", "--key=s3cret", "--", token],
      ])
        expect(await run(argv)).toEqual({ code: 0, out: plaintext, err: "" });
    }
  });

  it("reads the key from ECTOKEN_KEY, and exits 2 on bad usage", async () => {
    process.env.ECTOKEN_KEY = VECTOR.key;
    try {
      expect((await run(["cdn", "decrypt", VECTOR.token])).out).toBe(VECTOR.plaintext);
    } finally {
      delete process.env.ECTOKEN_KEY;
    }
    expect((await run(["cdn", "decrypt", VECTOR.token])).code).toBe(2);
    expect((await run(["cdn", "sign", "--key", "k", "x"])).code).toBe(2);
    expect((await run(["cdn", "decrypt", VECTOR.token, "--key"])).code).toBe(2);
    expect((await run(["cdn", "decrypt", "--key", "k", VECTOR.token, VECTOR.token])).code).toBe(2);
  });
});
