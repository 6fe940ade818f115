/**
 * Fluid key rotation under load: the broker signs with key1, the operator switches the active key to key2 while
 * exchanges are in flight (over node:http, 24 at a time). Zero failed exchanges, and every token issued is accepted
 * by the local Fluid service (tinylicious with a real HMAC check) configured with both keys: each is presented
 * on a real delta-stream connect (`connect_document`), where the service verifies tokens.
 */
import { createHmac } from "node:crypto";
import { io } from "socket.io-client";
import { startNodeHttpBroker } from "../../../functions-src/adapters/node-http";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { Tinylicious } from "../../../lib/local/tinylicious";
import { KeyServer, makeKey } from "../../support/key-server";
import { brokerFor, FLUID } from "./helpers";

const KEYS = ["rotation-key-one", "rotation-key-two"] as const;
const tinylicious = new Tinylicious({ local: [...KEYS] });
let server: KeyServer;
beforeAll(async () => {
  await Promise.all([tinylicious.start(), (server = new KeyServer()).start()]);
  server.keys = [await makeKey("k1")];
}, 60_000);
afterAll(async () => {
  await Promise.all([tinylicious.stop(), server.stop()]);
});

/** The service's verdict on a token: "ok" when the delta stream accepts it. */
function connect(token: string, documentId: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = io(tinylicious.endpoint, { transports: ["websocket"], reconnection: false });
    const done = (verdict: string) => {
      socket.close();
      resolve(verdict);
    };
    socket.on("connect", () =>
      socket.emit("connect_document", {
        tenantId: "local",
        id: documentId,
        token,
        client: {
          mode: "read",
          details: { capabilities: { interactive: false } },
          permission: [],
          user: { id: "rotation" },
          scopes: ["doc:read"],
        },
        versions: ["^0.4.0"],
        mode: "read",
      }),
    );
    socket.on("connect_document_success", () => done("ok"));
    socket.on("connect_document_error", () => done("refused"));
    socket.on("connect_error", () => done("unreachable"));
  });
}

const signedWith = (jwt: string) => {
  const [h, p, s] = jwt.split(".");
  return KEYS.findIndex((k) => createHmac("sha256", k).update(`${h}.${p}`).digest("base64url") === s);
};

it("key1 -> key2 while 240 exchanges run: none fails, and the service accepts every token issued", async () => {
  const fluid = { ...FLUID, tenantId: "local", key1: KEYS[0], key2: KEYS[1], active: "key1" as "key1" | "key2" };
  const { core } = brokerFor(server.issuer, { fluid: createFluidMinter(() => ({ ...fluid })) });
  const http = await startNodeHttpBroker(core);
  try {
    const callers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => server.sign({ sub: `user-${i}`, roles: ["editor"], aud: "api://broker" })),
    );
    const issued: { jwt: string; documentId: string }[] = [];
    const failures: number[] = [];
    let done = 0;
    const one = async (i: number) => {
      const documentId = `doc-${i % 7}`;
      const r = await fetch(`${http.url}/api/token`, {
        method: "POST",
        headers: { authorization: `Bearer ${callers[i % callers.length]}`, "content-type": "application/json" },
        body: JSON.stringify({ requests: [{ type: "fluid", documentId }] }),
      });
      if (r.status !== 200) failures.push(r.status);
      else
        issued.push({
          jwt: ((await r.json()) as { credentials: { token: string }[] }).credentials[0].token,
          documentId,
        });
      if (++done === 120) fluid.active = "key2"; // the rotation lands while the next exchanges are in flight
    };
    for (let batch = 0; batch < 10; batch++)
      await Promise.all(Array.from({ length: 24 }, (_, j) => one(batch * 24 + j)));
    expect(failures).toEqual([]);
    expect(issued).toHaveLength(240);
    const byKey = issued.map((t) => signedWith(t.jwt));
    expect(byKey.every((k) => k === 0 || k === 1)).toBe(true);
    expect(byKey.filter((k) => k === 0).length).toBeGreaterThan(0);
    expect(byKey.filter((k) => k === 1).length).toBeGreaterThan(0);
    // After the switch a cached key1 token is not handed out again: the last batch is all key2.
    expect(byKey.slice(-24).every((k) => k === 1)).toBe(true);

    const distinct = [...new Map(issued.map((t) => [t.jwt, t])).values()];
    const verdicts: string[] = [];
    for (let i = 0; i < distinct.length; i += 10)
      verdicts.push(...(await Promise.all(distinct.slice(i, i + 10).map((t) => connect(t.jwt, t.documentId)))));
    expect(verdicts.filter((v) => v !== "ok")).toEqual([]);
    // And the service does refuse what it should: a token signed with neither key.
    const [h, p] = distinct[0].jwt.split(".");
    expect(
      await connect(
        `${h}.${p}.${createHmac("sha256", "not-a-tenant-key").update(`${h}.${p}`).digest("base64url")}`,
        distinct[0].documentId,
      ),
    ).toBe("refused");
  } finally {
    await http.close();
  }
}, 90_000);
