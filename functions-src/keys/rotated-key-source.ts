/**
 * The broker's view of the rotated keys: each key document (key-document.ts) read from Key Vault by the broker itself
 * and kept for a short, bounded time, so a rotation reaches every instance without a redeploy or a restart.
 * Key Vault references in app settings would not do: App Service re-reads them only every 24 hours or on a config
 * change (learn.microsoft.com/azure/app-service/app-service-key-vault-references, "Rotation").
 *
 * - `refreshMs` (default 60 s): a document older than this is read again in the background on the next use;
 * - `maxAgeMs` (default 300 s): a document older than this (a vault unreachable for that long) is not used at all:
 *   the minter answers 503. This is the bound the rotation relies on (ROTATION_BROKER_MAX_AGE_SECONDS): no broker
 *   signs with a key it read more than `maxAgeMs` ago, so once the rotation has switched keys and waited that long
 *   plus the longest credential lifetime, nothing uses the old key any more.
 * The age counts from when a read *started*, so a slow read never stretches the bound. After `ready()` a timer
 * (unref'd: it never keeps the process alive) rereads every `refreshMs`, so an idle instance's first request finds
 * fresh keys instead of a 503.
 */
import { SecretUnavailableError } from "../errors";
import { parseKeyDocument, type KeyDocument } from "./key-document";

/** One secret's current value, or undefined when the vault has no such secret. */
export type SecretReader = (name: string) => Promise<string | undefined>;

export const DEFAULT_KEY_REFRESH_MS = 60_000;
export const DEFAULT_KEY_MAX_AGE_MS = 300_000;

export interface RotatedKeySourceOptions {
  /** @default 60000 */
  refreshMs?: number;
  /** @default 300000 */
  maxAgeMs?: number;
  now?: () => number;
}

interface Entry {
  doc?: KeyDocument;
  readAt: number;
  inflight?: Promise<void>;
}

export class RotatedKeySource {
  private readonly entries = new Map<string, Entry>();
  readonly refreshMs: number;
  readonly maxAgeMs: number;
  private readonly now: () => number;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly read: SecretReader,
    names: readonly string[],
    options: RotatedKeySourceOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? DEFAULT_KEY_REFRESH_MS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_KEY_MAX_AGE_MS;
    if (!(this.refreshMs > 0 && this.maxAgeMs >= this.refreshMs))
      throw new RangeError("RotatedKeySource: refreshMs must be > 0 and maxAgeMs >= refreshMs");
    this.now = options.now ?? Date.now;
    for (const name of names) this.entries.set(name, { readAt: -Infinity });
  }

  /** The first read of every document; never rejects (a document that cannot be read stays unavailable: 503). */
  async ready(): Promise<void> {
    this.timer ??= setInterval(() => {
      for (const name of this.entries.keys()) void this.refresh(name);
    }, this.refreshMs).unref();
    await Promise.all([...this.entries.keys()].map((name) => this.refresh(name)));
  }

  /** Whether this source reads `name` (the backends the environment mints for). */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Stops the background rereads (tests; a process that ends needs nothing). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The document as last read, if read within `maxAgeMs`; starts a background read when it is older than
   * `refreshMs`. Throws SecretUnavailableError (503 with Retry-After) otherwise.
   */
  current(name: string): KeyDocument {
    const entry = this.entries.get(name);
    if (!entry) throw new SecretUnavailableError(name);
    const age = this.now() - entry.readAt;
    if (age >= this.refreshMs) void this.refresh(name);
    if (!entry.doc || age > this.maxAgeMs) throw new SecretUnavailableError(name);
    return entry.doc;
  }

  private refresh(name: string): Promise<void> {
    const entry = this.entries.get(name)!;
    entry.inflight ??= (async () => {
      const startedAt = this.now();
      try {
        const text = await this.read(name);
        // A deleted secret is a missing key, not a stale one: stop using it.
        entry.doc = text === undefined ? undefined : parseKeyDocument(text, name);
        entry.readAt = startedAt;
      } catch {
        // Keep the last good document until it ages past maxAgeMs; the next use tries again.
      } finally {
        entry.inflight = undefined;
      }
    })();
    return entry.inflight;
  }
}
