/** Starts and stops the real OIDC issuer (lib/local/oidc-issuer-process.mjs) and gets persona tokens from it. */
import type { ChildProcess } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnTied, stopChild } from "./child-process";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { removeTree } from "./remove-tree";

export async function privateJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
}

export class OidcIssuer {
  private child?: ChildProcess;
  private dir?: string;
  issuer = "";
  port = 0;

  constructor(
    readonly personas: Record<string, { claims: Record<string, unknown> }>,
    readonly audience: string,
    /** Browser origins allowed to call the token endpoint (the demo page). @default none */
    readonly corsOrigins: string[] = [],
  ) {}

  /** (Re)starts on the same port with these signing keys; the first key signs new tokens. */
  async start(keys: JWK[]): Promise<this> {
    await this.stop();
    this.port ||= await freePort();
    // The config holds private keys: its directory goes when the issuer stops.
    this.dir = mkdtempSync(join(tmpdir(), "tb-oidc-"));
    const file = join(this.dir, "config.json");
    writeFileSync(
      file,
      JSON.stringify({ keys, audience: this.audience, personas: this.personas, corsOrigins: this.corsOrigins }),
    );
    const child = spawnTied(process.execPath, [join(__dirname, "oidc-issuer-process.mjs"), String(this.port), file]);
    this.child = child;
    this.issuer = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr!.on("data", (d) => (err += d));
      child.stdout!.once("data", (d) => resolve(JSON.parse(String(d).split("\n")[0]).issuer));
      child.once("exit", (code) => reject(new Error(`oidc issuer exited (${code}): ${err}`)));
    });
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
    if (this.dir) removeTree(this.dir);
    this.dir = undefined;
  }

  /** An access token for a persona, from the issuer's token endpoint (client credentials). */
  async token(persona: string): Promise<string> {
    const res = await fetch(`${this.issuer}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${persona}:secret-${persona}`).toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "client_credentials", resource: this.audience, scope: "broker" }),
    });
    const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!body.access_token)
      throw new Error(`token request for ${persona} failed: ${body.error} ${body.error_description}`);
    return body.access_token;
  }
}
