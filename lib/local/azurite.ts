/** Azurite (Blob only) as a child process on 127.0.0.1 and a free port, with a temporary location; stopped by the test. */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, spawnTied, stopChild, waitUntilReady } from "./child-process";
import { removeTree } from "./remove-tree";

/** Azurite's published development account (learn.microsoft.com/azure/storage/common/storage-use-azurite). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export class Azurite {
  private child?: ChildProcess;
  private location?: string;
  port = 0;

  /**
   * With a certificate (PEM files), azurite speaks https: SAS tokens with `spr=https` then verify as on Azure.
   * With `oauth` too (`--oauth basic`, https only), azurite accepts Entra bearer tokens, checking their issuer
   * prefix, audience and lifetime but not their signature, and so issues user delegation keys.
   */
  constructor(
    readonly tls?: { cert: string; key: string },
    readonly oauth = false,
  ) {
    if (oauth && !tls) throw new Error("azurite's OAuth mode needs https: give a certificate");
  }

  get blobEndpoint(): string {
    return `${this.tls ? "https" : "http"}://127.0.0.1:${this.port}/${DEV_ACCOUNT}`;
  }

  /** On `port` (npm run dev), or a free one (tests); `location` is the data directory, removed by stop(). */
  async start(port?: number, location = mkdtempSync(join(tmpdir(), "tb-azurite-"))): Promise<this> {
    this.port = port ?? (await freePort());
    this.location = location;
    const main = require.resolve("azurite/dist/src/blob/main.js");
    const tls = this.tls
      ? ["--cert", this.tls.cert, "--key", this.tls.key, ...(this.oauth ? ["--oauth", "basic"] : [])]
      : [];
    const args = [
      main,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(this.port),
      "--location",
      location,
      "--silent",
      "--skipApiVersionCheck",
      ...tls,
    ];
    const child = spawnTied(process.execPath, args);
    this.child = child;
    // Any answer (even a TLS one) means it listens; the probe only waits for the port.
    const probe = () =>
      new Promise<boolean>((resolve) => {
        const s = connect(this.port, "127.0.0.1", () => (s.destroy(), resolve(true))).on("error", () => resolve(false));
      });
    // 60 s, not 20: on a 2-core machine under load (load average 11-17, seen 2026-12-04) azurite took over 20 s to
    // listen, and a start that gives up early fails npm run dev for nothing.
    await waitUntilReady("azurite", child, probe, 60_000);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
    if (this.location) removeTree(this.location);
    this.location = undefined;
  }
}
