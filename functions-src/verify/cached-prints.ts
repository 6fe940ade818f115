/**
 * Which tokens the verified-token cache may hold, answered without hashing the token (issue 17). The cache is keyed by
 * the token text: looking a token up hashes all of its ~1 KB, about 2 µs, which every fresh token paid only to miss.
 * Here one bit per fingerprint is set for each token put in the cache, and bits are cleared only by a rebuild from the
 * keys the cache then holds, so a token the cache holds always finds its bit set. No bit: not cached, no lookup. A set
 * bit only means "look it up" (it may be another token's, or an evicted entry's), so answers never depend on it.
 */

/**
 * FNV-1a over the token's last 16 characters: signature bytes, which differ between any two tokens an issuer signs.
 * Not a security boundary (it only decides whether to cache, or whether to look in the cache), so a short digest is
 * enough: a token made to collide only costs itself the lookup every token made before.
 */
export function fingerprint(token: string): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 16); i < token.length; i++)
    h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
  return h | 0;
}

export class CachedPrints {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private marked = 0;

  /**
   * `maxEntries`: the most tokens the cache holds. Eight bits per entry at least: after a rebuild at most an eighth
   * of the bits are set, and a rebuild comes when a quarter are, so rebuilds (a pass over the cache's keys) stay rare.
   */
  constructor(
    maxEntries: number,
    private readonly keys: () => Iterable<string>,
  ) {
    let size = 64;
    while (size < maxEntries * 8) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** False only when the cache cannot hold this token. */
  mayHold(token: string): boolean {
    const bit = fingerprint(token) & this.mask;
    return (this.bits[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  /** Called after the token was put in the cache. */
  add(token: string): void {
    this.mark(token);
    if (this.marked * 4 > this.bits.length * 32) {
      this.bits.fill(0);
      this.marked = 0;
      for (const key of this.keys()) this.mark(key);
    }
  }

  private mark(token: string): void {
    const bit = fingerprint(token) & this.mask;
    const word = bit >>> 5;
    const m = 1 << (bit & 31);
    if ((this.bits[word] & m) === 0) {
      this.bits[word] |= m;
      this.marked++;
    }
  }
}
