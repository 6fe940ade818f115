/**
 * The local Fluid service creates containers as routerlicious does (lib/local/tinylicious-process.cjs): the creation
 * token is checked and single use, the id is the service's, and with `generateToken` the answer carries a receipt
 * signed with the tenant key (empty scopes, the creation token's user, ver and jti, 5 minutes).
 */
import { createHmac } from "node:crypto";
import { mintFluidToken } from "../../functions-src/mint/fluid-token";
import { Tinylicious } from "../../lib/local/tinylicious";

const KEYS: [string, string] = ["creation-key-1", "creation-key-2"];
const tinylicious = new Tinylicious({ local: KEYS });

beforeAll(() => tinylicious.start(), 60_000);
afterAll(() => tinylicious.stop());

const creationToken = (key = KEYS[0], ttlSeconds = 300) =>
  mintFluidToken({
    tenantId: "local",
    documentId: "",
    scopes: ["doc:read", "doc:write", "summary:write"],
    user: { id: "creator-1", name: "Creator" },
    ttlSeconds,
    key,
  });

function create(jwt: string, body: Record<string, unknown> = { generateToken: true }) {
  return fetch(`${tinylicious.endpoint}/documents/local`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${jwt}` },
    body: JSON.stringify({ summary: { type: 1, tree: {} }, sequenceNumber: 0, values: [], ...body }),
  });
}

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));

test("a creation answers the service's id and a receipt signed with key1, carrying the creator", async () => {
  const minted = creationToken(KEYS[1]);
  const res = await create(minted.jwt, { generateToken: true, id: "chosen-by-the-client" });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string; token: string };
  expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  const [h, p, sig] = body.token.split(".");
  expect(createHmac("sha256", Buffer.from(KEYS[0], "utf8")).update(`${h}.${p}`).digest("base64url")).toBe(sig);
  const claims = decode(body.token);
  expect(claims).toEqual({
    documentId: body.id,
    scopes: [],
    tenantId: "local",
    user: { id: "creator-1", name: "Creator" },
    iat: expect.any(Number),
    exp: claims.iat + 300,
    ver: "1.0",
    jti: minted.jti,
  });
});

test("a creation token is single use", async () => {
  const minted = creationToken();
  expect((await create(minted.jwt)).status).toBe(201);
  expect((await create(minted.jwt)).status).toBe(403);
});

test("a creation token signed with another key, or expired, creates nothing", async () => {
  expect((await create(creationToken("not-the-tenant-key").jwt)).status).toBe(403);
  const expired = mintFluidToken({
    tenantId: "local",
    documentId: "",
    scopes: ["doc:write"],
    user: { id: "u" },
    ttlSeconds: 1,
    key: KEYS[0],
    now: Math.floor(Date.now() / 1000) - 10,
  });
  expect((await create(expired.jwt)).status).toBe(401);
});

test("without generateToken the answer is the id alone, as older drivers expect", async () => {
  const res = await create(creationToken().jwt, {});
  expect(res.status).toBe(201);
  expect(typeof (await res.json())).toBe("string");
});
