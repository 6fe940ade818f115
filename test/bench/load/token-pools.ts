/**
 * How many tokens the load run needs so that every request it sends stays valid: no repeat caller asks more often
 * than the broker's per-subject rate limit admits (else valid callers get 429), and the fresh pool lasts the whole
 * run (else the driver has no never-seen token left). Derived from the rate limit, the run's length and the highest
 * request rate the run is sized for; the bench checks afterwards that the measured peak stayed within that rate.
 */
export interface TokenPoolSizing {
  /** Length of the run. */
  seconds: number;
  /** The highest request rate (all requests, per second) the pools must carry. */
  peakRate: number;
  /** 1 request in `freshEvery` carries a token never seen before. */
  freshEvery: number;
  /** The per-subject token bucket the broker applies. */
  burst: number;
  perSecond: number;
}

export interface TokenPools {
  fresh: number;
  repeat: number;
}

export function tokenPools(o: TokenPoolSizing): TokenPools {
  const repeatRate = o.peakRate * (1 - 1 / o.freshEvery);
  // Round robin gives each of `repeat` callers q = repeatRate / repeat requests per second. A token bucket that
  // starts full admits a caller's k-th request, (k - 1) / q seconds in, while k <= burst + perSecond * (k - 1) / q.
  // With q above perSecond the k-th request is the tightest so far, and the last one of a run of `seconds` (at most
  // q * seconds + 1 of them) passes exactly when q * seconds <= burst - 1 + perSecond * seconds.
  const repeat = Math.ceil((repeatRate * o.seconds) / (o.burst - 1 + o.perSecond * o.seconds));
  const fresh = Math.ceil((o.peakRate / o.freshEvery) * o.seconds);
  return { fresh, repeat };
}

/**
 * The order the driver sends tokens in: every `freshEvery`-th request the next never-used fresh token (while any
 * is left), the others the repeat callers in turn. The repeat turn has its own counter: cycling on the request
 * number instead would skip every caller whose index shares the fresh slot's remainder, and load the rest harder.
 */
export class TokenSequence {
  freshUsed = 0;
  private sent = 0;
  private repeatSent = 0;

  constructor(
    private readonly tokens: { fresh: string[]; repeat: string[] },
    private readonly freshEvery: number,
  ) {}

  next(): string {
    if (this.sent++ % this.freshEvery === 0 && this.freshUsed < this.tokens.fresh.length)
      return this.tokens.fresh[this.freshUsed++];
    return this.tokens.repeat[this.repeatSent++ % this.tokens.repeat.length];
  }
}
