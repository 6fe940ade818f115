/**
 * Plain http is accepted only to this machine (local issuers in dev and tests); everything else must be https.
 * Shared by the policy check on issuer URLs and the broker's key fetcher, so both accept the same URLs.
 */
export function isHttpsOrLoopbackHttp(url: URL): boolean {
  if (url.protocol === "https:") return true;
  return (
    url.protocol === "http:" &&
    (url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]")
  );
}
