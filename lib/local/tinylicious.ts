/** Starts and stops tinylicious with a real token check (tinylicious-process.cjs) on 127.0.0.1 and a free port. */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnTied, stopChild, waitUntilReady } from "./child-process";
import { removeTree } from "./remove-tree";

export class Tinylicious {
  private child?: ChildProcess;
  private storage?: string;
  private keysFile?: string;
  port = 0;

  /** The tenants' key1 and key2 (a copy of what was given); `regenerateKey` changes them while the service runs. */
  readonly keys: Record<string, [string, string]>;

  constructor(keys: Record<string, [string, string]>) {
    this.keys = Object.fromEntries(Object.entries(keys).map(([t, [k1, k2]]) => [t, [k1, k2]]));
  }

  /**
   * As Fluid Relay's "Fluid Relay Servers - Regenerate Key" (keyName key1 | key2): a new random key, and tokens
   * signed with the old one are refused from the next check on. Returns the new key.
   */
  regenerateKey(tenantId: string, keyName: "key1" | "key2"): string {
    if (!this.keysFile) throw new Error("tinylicious is not running");
    const key = randomBytes(32).toString("base64url");
    this.keys[tenantId][keyName === "key1" ? 0 : 1] = key;
    this.writeKeys();
    return key;
  }

  private writeKeys(): void {
    // A rename is atomic: the service never reads half a file.
    const next = `${this.keysFile}.next`;
    writeFileSync(next, JSON.stringify(this.keys), { mode: 0o600 });
    renameSync(next, this.keysFile!);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** On `port` (npm run dev), or a free one (tests); `storage` (its documents) is removed by stop(). */
  async start(port?: number, storage = mkdtempSync(join(tmpdir(), "tb-tinylicious-"))): Promise<this> {
    this.port = port ?? (await freePort());
    mkdirSync(storage, { recursive: true });
    this.storage = storage;
    this.keysFile = join(storage, "tenant-keys.json");
    this.writeKeys();
    const child = spawnTied(
      process.execPath,
      ["--dns-result-order=ipv4first", join(__dirname, "tinylicious-process.cjs")],
      {
        env: {
          ...process.env,
          PORT: String(this.port),
          TB_FLUID_KEYS_FILE: this.keysFile,
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
    if (this.storage) removeTree(this.storage);
    this.storage = undefined;
    this.keysFile = undefined;
  }
}
