/**
 * Graceful shutdown of the node:http broker, in its own process: SIGTERM lets the request in flight finish (200
 * with its credential), refuses new connections at once, and the process exits within the grace period plus a bound.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { stopChild } from "../../../lib/local/child-process";
import { KeyServer, makeKey } from "../../support/key-server";

let server: KeyServer;
let child: ChildProcess | undefined;
beforeAll(async () => {
  server = await new KeyServer().start();
  server.keys = [await makeKey("k1")];
});
afterAll(async () => {
  await stopChild(child);
  await server.stop();
});

function startBroker(env: Record<string, string>) {
  const proc = spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures/slow-broker.ts")], {
    env: { ...process.env, TB_ISSUER: server.issuer, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  child = proc;
  let out = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  proc.stdout!.on("data", (c: Buffer) => {
    out += c.toString();
    for (const w of waiters.filter((x) => out.includes(x.text))) w.resolve();
  });
  const seen = (text: string) =>
    out.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ text, resolve }));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, seen, exited, url: async () => (await seen("listening "), /listening (\S+)/.exec(out)![1]) };
}

function post(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/token`,
      {
        method: "POST",
        agent: false,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ requests: [{ type: "fluid", documentId: "doc-1" }] }));
  });
}

it("drains the request in flight, refuses new connections, exits 0 within the bound", async () => {
  const broker = startBroker({ TB_MINT_DELAY_MS: "1500", TB_GRACE_MS: "5000" });
  const url = await broker.url();
  const token = await server.sign({ sub: "inflight", roles: ["editor"], aud: "api://broker" });
  const inFlight = post(url, token);
  await broker.seen("minting");
  const t0 = Date.now();
  broker.proc.kill("SIGTERM");
  await broker.seen("draining");
  // Refused: the listener is closed (ECONNREFUSED), or a connect that raced into its backlog is reset.
  const refused = await post(url, token).then(
    (r) => `answered ${r.status}`,
    (e: NodeJS.ErrnoException) => e.code,
  );
  expect(["ECONNREFUSED", "ECONNRESET"]).toContain(refused);
  const answered = await inFlight;
  expect(answered.status).toBe(200);
  expect(JSON.parse(answered.body).credentials).toHaveLength(1);
  expect(await broker.exited).toBe(0);
  expect(Date.now() - t0).toBeLessThan(5000 + 1000); // the grace period plus the hard stop's second
}, 30_000);

it("a request still running when the grace period ends is cut, and the process still exits within the bound", async () => {
  const broker = startBroker({ TB_MINT_DELAY_MS: "20000", TB_GRACE_MS: "500" });
  const url = await broker.url();
  const stuck = post(url, await server.sign({ sub: "stuck", roles: ["editor"], aud: "api://broker" })).catch(
    (e: NodeJS.ErrnoException) => e.code,
  );
  await broker.seen("minting");
  const t0 = Date.now();
  broker.proc.kill("SIGTERM");
  expect(await broker.exited).toBe(0);
  // Grace 500 ms + the hard stop's second, + 1.5 s for a loaded machine to reap the process.
  expect(Date.now() - t0).toBeLessThan(500 + 1000 + 1500);
  expect(await stuck).toBe("ECONNRESET");
}, 30_000);
