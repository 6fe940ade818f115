/**
 * A throw-away certificate for azurite: storage checks a SAS's `spr=https` against the connection it receives, so
 * the CDN origin must speak https for the policy's (https-only) CDN grants to verify as they do on Azure.
 * Made per start with the system's openssl, for 127.0.0.1 only, valid one day; trusted only by the CDN edge.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function makeLoopbackCertificate(dir: string): { cert: string; key: string; pem: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
  } catch {
    throw new Error("openssl is needed to give the local CDN origin a certificate (apt-get install openssl)");
  }
  return { cert, key, pem: readFileSync(cert, "utf8") };
}
