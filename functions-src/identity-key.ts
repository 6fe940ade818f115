/**
 * One key per caller, for everything keyed by caller (minter caches, Cosmos user ids, the rate limiter). Issuer
 * names are policy identifiers and hold no newline, so `issuer \n subject` is unambiguous whatever the subject holds.
 */
export function identityKey(caller: { issuer: string; subject: string }): string {
  return `${caller.issuer}\n${caller.subject}`;
}
