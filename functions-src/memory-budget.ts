/**
 * The broker's memory budget (issue 12: resident memory under 200 MB and flat under 1,000,000 distinct callers).
 *
 * What a soak showed (docs/benchmarks.md, "Soak"): the live heap was ~65 MB, but V8 sized its heap for speed, not
 * for the live data: a 32 MB young generation (two 16 MB semi-spaces) and an old generation grown to about four
 * times the live heap, because the next full collection is scheduled at live x growing factor (up to 4). Capping
 * both keeps the committed heap close to what is live; the caches below are bounded so the live heap cannot reach
 * the cap.
 *
 * The Function App runs its Node worker with NODE_WORKER_ARGUMENTS (app setting `languageWorkers__node__arguments`,
 * learn.microsoft.com/azure/azure-functions/functions-reference-node#languageworkers__node__arguments; not among the
 * settings Flex Consumption deprecates, functions-app-settings#flex-consumption-plan-deprecations), and the soak runs
 * with exactly these flags, so what the soak measures is what production runs.
 */

/** The old generation's cap. The caches' worst case below plus the code and modules must stay well under it. */
export const MAX_OLD_SPACE_MB = 192;
/** Each of the two young-generation semi-spaces (V8's default grows them to 16 MB). */
export const MAX_SEMI_SPACE_MB = 2;

export const NODE_WORKER_ARGUMENTS = [
  `--max-old-space-size=${MAX_OLD_SPACE_MB}`,
  `--max-semi-space-size=${MAX_SEMI_SPACE_MB}`,
].join(" ");

const MiB = 2 ** 20;

/**
 * Byte budgets for caches whose entries vary in size with the tokens they hold. The per-entry estimates were
 * checked against heap snapshots of the soak (a 340-character caller token cost ~720 bytes cached; a Fluid
 * credential with its cached JSON ~1.2 KB): each estimate is above what was measured.
 */
export const CACHE_BUDGET = {
  /** Verified caller tokens: key = the token text, value = its claims. */
  verifiedTokens: { maxBytes: 12 * MiB, sizeOf: (_: unknown, token: string) => 2 * token.length + 512 },
  /** Fluid credentials: the token, the credential object and its serialised JSON (cached by the core). */
  fluidCredentials: {
    maxBytes: 8 * MiB,
    sizeOf: (v: { credential: Record<string, unknown> }, key: string) =>
      3 * String(v.credential.token).length + 2 * key.length + 768,
  },
  /** Cosmos resource tokens (a few hundred characters each): 50,000 of them could hold ~50 MB without this. */
  cosmosTokens: {
    maxBytes: 16 * MiB,
    sizeOf: (v: { token: string }, key: string) => 2 * (v.token.length + key.length) + 256,
  },
} as const;
