/**
 * Debian's redis-server as a child process on 127.0.0.1 and a free port, nothing written to disk
 * (`--save '' --appendonly no`), stopped by the test that started it. `stop()` + `start()` again on the same port
 * lets a test take the store down and bring it back.
 */
import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { freePort, spawnTied, stopChild, waitUntilReady } from "./child-process";

export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";

export class LocalRedis {
  private child?: ChildProcess;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "yes",
    ];
    const child = spawnTied(REDIS_SERVER, args);
    child.stdout?.resume();
    child.stderr?.resume();
    this.child = child;
    await waitUntilReady("redis-server", child, () => ping(this.port), 10_000);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
  }
}

/** One inline PING over a raw socket: no client library needed to know the server answers. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.setTimeout(500, () => (s.destroy(), resolve(false)));
    s.on("error", () => resolve(false));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => (s.destroy(), resolve(d.toString().startsWith("+PONG"))));
  });
}
