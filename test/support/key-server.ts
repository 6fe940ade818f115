/**
 * A real HTTP issuer key server for tests: OIDC discovery + JWKS on 127.0.0.1 (random port), with keys that the test
 * can rotate and an outage switch. Tokens are signed with jose. Stopped by the test that started it.
 */
import { createSign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from "jose";

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function makeKey(kid: string, alg = "RS256"): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export class KeyServer {
  keys: TestKey[] = [];
  down = false;
  /** Answer JWKS requests this much later (a slow issuer). */
  delayMs = 0;
  /** Answer JWKS requests with 200 and a body that is not a JWKS. */
  garbage = false;
  /** Drop the connection of this many coming requests without answering (an idle keep-alive socket closed). */
  dropNext = 0;
  requests = 0;
  jwksRequests = 0;
  private server?: Server;
  issuer = "";

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      this.requests++;
      if (req.url === "/jwks") this.jwksRequests++;
      if (this.dropNext > 0) {
        this.dropNext--;
        req.socket.destroy();
        return;
      }
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (res.destroyed) return;
      if (this.down) {
        res.writeHead(503).end();
        return;
      }
      if (req.url === "/.well-known/openid-configuration") {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/jwks` }));
      } else if (req.url === "/jwks" && this.garbage) {
        res.writeHead(200, { "content-type": "application/json" }).end("<html>maintenance</html>");
      } else if (req.url === "/jwks") {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.issuer = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Signs exactly the header and payload given (RS256), for tokens a JWT library would refuse to produce. */
  signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: TestKey = this.keys[0]): string {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const unsigned = `${b64(header)}.${b64(payload)}`;
    return `${unsigned}.${createSign("RSA-SHA256")
      .update(unsigned)
      .sign(key.privateKey as unknown as KeyObject)
      .toString("base64url")}`;
  }

  sign(
    claims: Record<string, unknown>,
    options: { key?: TestKey; header?: Record<string, unknown>; iat?: number; exp?: number } = {},
  ): Promise<string> {
    const key = options.key ?? this.keys[0];
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, iat: options.iat ?? now, exp: options.exp ?? now + 600, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...options.header })
      .sign(key.privateKey);
  }
}
