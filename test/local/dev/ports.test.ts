/** Where `npm run dev` listens: defaults, overrides, collisions, and a busy port as one line naming it. */
import { createServer, type Server } from "node:net";
import { assertPortsFree, PortError, resolvePorts } from "../../../lib/local/dev/ports";
import { freshPorts, startDev } from "./dev-support";

describe("resolvePorts", () => {
  it("uses the defaults, then environment variables, then flags", () => {
    expect(resolvePorts([], {})).toEqual({
      demo: 7070,
      issuer: 7071,
      broker: 7072,
      fluid: 7073,
      storage: 7074,
      cosmos: 7075,
      cdn: 7076,
    });
    expect(resolvePorts([], { TB_DEV_BROKER_PORT: "9000" }).broker).toBe(9000);
    expect(resolvePorts(["--broker-port", "9001"], { TB_DEV_BROKER_PORT: "9000" }).broker).toBe(9001);
  });

  it("refuses a port given to two services, or one that is not a port", () => {
    expect(() => resolvePorts(["--port", "7071"], {})).toThrow(
      new PortError("port 7071 is given to both the demo page and the OIDC issuer"),
    );
    expect(() => resolvePorts([], { TB_DEV_CDN_PORT: "http" })).toThrow(
      /--cdn-port \/ TB_DEV_CDN_PORT must be a port number/,
    );
  });
});

describe("a port in use", () => {
  let holder: Server;
  afterEach(() => new Promise<void>((r) => (holder ? holder.close(() => r()) : r())));

  it("is named in one line by the check", async () => {
    const ports = await freshPorts();
    holder = createServer().listen(ports.cosmos, "127.0.0.1");
    await new Promise((r) => holder.once("listening", r));
    await expect(assertPortsFree(ports)).rejects.toThrow(
      new PortError(
        `port ${ports.cosmos} (Cosmos stand-in) is in use: stop what holds it, or choose another with --cosmos-port <port> or TB_DEV_COSMOS_PORT=<port>`,
      ),
    );
  });

  it("stops `npm run dev` with that one line on stderr and exit code 1, starting nothing", async () => {
    const ports = await freshPorts();
    holder = createServer().listen(ports.issuer, "127.0.0.1");
    await new Promise((r) => holder.once("listening", r));
    const run = await startDev(ports);
    expect(await run.exited).toBe(1);
    const lines = run
      .output()
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("npm run dev:"));
    expect(lines).toEqual([
      `npm run dev: port ${ports.issuer} (OIDC issuer) is in use: stop what holds it, or choose another with --issuer-port <port> or TB_DEV_ISSUER_PORT=<port>`,
    ]);
    expect(run.output()).not.toContain("Error:");
  }, 30_000);
});
