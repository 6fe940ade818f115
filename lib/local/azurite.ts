/** Azurite (Blob only) as a child process on 127.0.0.1 and a free port, with a temporary location; stopped by the test. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stopChild, waitUntilReady } from "./child-process";

/** Azurite's published development account (learn.microsoft.com/azure/storage/common/storage-use-azurite). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export class Azurite {
  private child?: ChildProcess;
  port = 0;

  get blobEndpoint(): string {
    return `http://127.0.0.1:${this.port}/${DEV_ACCOUNT}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    const main = require.resolve("azurite/dist/src/blob/main.js");
    const location = mkdtempSync(join(tmpdir(), "tb-azurite-"));
    const child = spawn(process.execPath, [main, "--blobHost", "127.0.0.1", "--blobPort", String(this.port), "--location", location, "--silent", "--skipApiVersionCheck"], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    await waitUntilReady("azurite", child, async () => (await fetch(`${this.blobEndpoint}?comp=list`), true), 20_000);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
  }
}
