/** Starts and stops tinylicious with a real token check (tinylicious-process.cjs) on 127.0.0.1 and a free port. */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnTied, stopChild, waitUntilReady } from "./child-process";

export class Tinylicious {
  private child?: ChildProcess;
  private storage?: string;
  port = 0;

  constructor(readonly keys: Record<string, [string, string]>) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** On `port` (npm run dev), or a free one (tests); `storage` (its documents) is removed by stop(). */
  async start(port?: number, storage = mkdtempSync(join(tmpdir(), "tb-tinylicious-"))): Promise<this> {
    this.port = port ?? (await freePort());
    mkdirSync(storage, { recursive: true });
    this.storage = storage;
    const child = spawnTied(
      process.execPath,
      ["--dns-result-order=ipv4first", join(__dirname, "tinylicious-process.cjs")],
      {
        env: {
          ...process.env,
          PORT: String(this.port),
          TB_FLUID_KEYS: JSON.stringify(this.keys),
          storage,
          db__path: join(storage, "db"),
          logger__level: "error",
        },
      },
    );
    this.child = child;
    await waitUntilReady("tinylicious", child, async () => (await fetch(this.endpoint)).status < 500);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
    // Only once the service has exited: it writes its documents there until then.
    if (this.storage) rmSync(this.storage, { recursive: true, force: true });
    this.storage = undefined;
  }
}
