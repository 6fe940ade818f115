/**
 * The caller's IP for `bindClientIp` grants. Only the last `hops` entries of X-Forwarded-For were written by proxies
 * we trust (Front Door, App Service); anything left of them was written by the client and is ignored.
 */
import { isIP } from "node:net";

export function clientIpFrom(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  hops: number,
): string | undefined {
  const socket = normalize(socketAddress);
  if (hops <= 0 || !forwardedFor) return socket;
  const chain = forwardedFor.split(",").map((s) => normalize(s.trim()));
  // With `hops` trusted proxies, the entry they appended for the caller is `hops` from the right.
  const candidate = chain[chain.length - hops];
  return candidate ?? undefined;
}

function normalize(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const bare = ip.replace(/^\[|\](:\d+)?$/g, "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(bare);
  const candidate = v4WithPort ? v4WithPort[1] : bare;
  return isIP(candidate) ? candidate : undefined;
}
