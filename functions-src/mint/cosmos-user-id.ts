/** The Cosmos user id for a caller: a digest, so claim values never become ids. Shared by minting and cleanup. */
import { createHash } from "node:crypto";

export function cosmosUserId(issuer: string, subject: string): string {
  return `tb-${createHash("sha256").update(`${issuer}\n${subject}`).digest("base64url").slice(0, 32)}`;
}
