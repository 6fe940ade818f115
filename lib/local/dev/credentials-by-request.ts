/** The broker answers credentials in request order, for the requests not denied. */
export function credentialsByRequest<C>(
  count: number,
  credentials: C[],
  denied: { request: number }[],
): Map<number, C> {
  const refused = new Set(denied.map((d) => d.request));
  const map = new Map<number, C>();
  let k = 0;
  for (let i = 0; i < count; i++) if (!refused.has(i) && k < credentials.length) map.set(i, credentials[k++]);
  return map;
}
