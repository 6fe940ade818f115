/** Azurite (Blob only) as a child process on 127.0.0.1 and a free port, with a temporary location; stopped by the test. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { freePort, stopChild, waitUntilReady } from "./child-process";

/** Azurite's published development account (learn.microsoft.com/azure/storage/common/storage-use-azurite). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /**
   * Serve HTTPS with this certificate and accept Entra bearer tokens (`--oauth basic`: azurite checks a token's
   * issuer prefix, audience and lifetime, not its signature, and needs HTTPS for OAuth). This is what lets azurite
   * issue user delegation keys (Get User Delegation Key needs a bearer token). @default plain HTTP, no OAuth
   */
  oauth?: { certPath: string; keyPath: string };
}

export class Azurite {
  private child?: ChildProcess;
  port = 0;

  constructor(private readonly options: AzuriteOptions = {}) {}

  get blobEndpoint(): string {
    return `${this.options.oauth ? "https" : "http"}://127.0.0.1:${this.port}/${DEV_ACCOUNT}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    const main = require.resolve("azurite/dist/src/blob/main.js");
    const location = mkdtempSync(join(tmpdir(), "tb-azurite-"));
    const oauth = this.options.oauth ? ["--oauth", "basic", "--cert", this.options.oauth.certPath, "--key", this.options.oauth.keyPath] : [];
    const args = [main, "--blobHost", "127.0.0.1", "--blobPort", String(this.port), "--location", location, "--silent", "--skipApiVersionCheck", ...oauth];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    // With OAuth, readiness is a TCP accept: fetch() would refuse the self-signed certificate.
    const probe = this.options.oauth ? () => listening(this.port) : async () => (await fetch(`${this.blobEndpoint}?comp=list`), true);
    await waitUntilReady("azurite", child, probe, 20_000);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", reject);
  });
}
