/**
 * The shared store on Redis (ioredis). Commands fail fast instead of queueing while the server is away
 * (`enableOfflineQueue: false`, a command timeout), so a caller learns "store down" in well under a second and the
 * policy's `onStoreDown` decides; the client keeps reconnecting in the background.
 *
 * Azure Managed Redis with Microsoft Entra authentication, never an access key
 * (learn.microsoft.com/azure/redis/entra-for-authentication): TLS only (port 10000); user name = the object id of
 * the managed identity; password = an Entra access token for the scope https://redis.azure.com/.default, refreshed
 * and re-sent with AUTH before it expires (the page asks for at least 3 minutes ahead) so open connections survive.
 */
import type { TokenCredential } from "@azure/identity";
import type { default as Redis, RedisOptions } from "ioredis";
import { redisSdk } from "../load-sdk";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "./rate-limiter-classes";
import { StoreUnavailableError, type SharedStore } from "./shared-store";

export const REDIS_ENTRA_SCOPE = "https://redis.azure.com/.default";
/** max(current, value) in one atomic step (Lua runs without interleaving; Azure Managed Redis runs EVAL). */
const RAISE_SCRIPT = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;
/** Re-authenticate this long before the Entra token expires. */
const REFRESH_AHEAD_MS = 5 * 60_000;

export interface RedisStoreOptions {
  /** redis://host:port (local) or rediss://host:10000 (Azure Managed Redis). */
  url: string;
  /** Entra auth: the identity's credential and its object id (the Redis user name; default: the token's `oid`). */
  entra?: { credential: TokenCredential; objectId?: string };
  /** A command that takes longer counts as "store down". @default 500 */
  commandTimeoutMs?: number;
}

export class RedisStore implements SharedStore {
  readonly kind = "redis";
  readonly scope = "shared";
  private readonly client: Redis;
  private refreshTimer?: NodeJS.Timeout;

  private constructor(
    client: Redis,
    private readonly entra?: RedisStoreOptions["entra"],
  ) {
    this.client = client;
  }

  /** Connects (and authenticates) before returning; a store that cannot be reached at start throws. */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const url = new URL(options.url);
    const base: RedisOptions = {
      host: url.hostname,
      port: Number(url.port || (url.protocol === "rediss:" ? 10000 : 6379)),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      ...(url.protocol === "rediss:" && { tls: { servername: url.hostname } }),
    };
    let expiresAt = 0;
    if (options.entra) {
      const token = await options.entra.credential.getToken(REDIS_ENTRA_SCOPE);
      if (!token) throw new StoreUnavailableError("entra token");
      Object.assign(base, { username: options.entra.objectId ?? objectIdOf(token.token), password: token.token });
      expiresAt = token.expiresOnTimestamp;
    }
    const client = new (redisSdk().Redis)(base);
    client.on("error", () => undefined); // reconnects on its own; callers see StoreUnavailableError per command
    const store = new RedisStore(client, options.entra);
    try {
      await client.connect();
    } catch {
      client.disconnect(); // stop the background reconnects: nobody holds this client
      throw new StoreUnavailableError("connect");
    }
    if (options.entra) store.scheduleRefresh(expiresAt);
    return store;
  }

  private scheduleRefresh(expiresAt: number): void {
    const delay = Math.max(10_000, expiresAt - Date.now() - REFRESH_AHEAD_MS);
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
    this.refreshTimer.unref();
  }

  private async refresh(): Promise<void> {
    let next = Date.now() + 60_000;
    try {
      const token = await this.entra!.credential.getToken(REDIS_ENTRA_SCOPE);
      if (token) {
        // New connections (after a reconnect) use the options; the open one is re-authenticated now.
        this.client.options.password = token.token;
        await this.client.call("AUTH", this.entra!.objectId ?? objectIdOf(token.token), token.token);
        next = token.expiresOnTimestamp;
      }
    } catch {
      // Retried in a minute; the current token is still valid for a few more minutes.
    }
    this.scheduleRefresh(next);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run("set", () => this.client.set(key, value, "PX", Math.max(1, Math.ceil(ttlMs))));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.run("set nx", () => this.client.set(key, value, "PX", Math.max(1, Math.ceil(ttlMs)), "NX"))) === "OK"
    );
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.run("mget", () => this.client.mget(...keys));
  }

  async raiseTo(key: string, value: number, ttlMs: number): Promise<void> {
    await this.run("raise", () =>
      this.client.eval(RAISE_SCRIPT, 1, key, String(value), String(Math.max(1, Math.ceil(ttlMs)))),
    );
  }

  async delete(key: string): Promise<void> {
    await this.run("del", () => this.client.del(key));
  }

  /** Counted in Redis; while Redis is down the instance falls back to its own in-memory window (insurance). */
  rateLimiter(o: { keyPrefix: string; points: number; durationSeconds: number }): RateLimiterAbstract {
    return new RateLimiterRedis({
      storeClient: this.client,
      keyPrefix: o.keyPrefix,
      points: o.points,
      duration: o.durationSeconds,
      insuranceLimiter: new RateLimiterMemory({
        keyPrefix: `${o.keyPrefix}:insurance`,
        points: o.points,
        duration: o.durationSeconds,
      }),
    });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.refreshTimer);
    this.client.disconnect();
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw new StoreUnavailableError(operation);
    }
  }
}

/** The identity's object id from its own access token (`oid`), so no deployment has to pass it in. */
export function objectIdOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as {
    oid?: unknown;
  };
  if (typeof payload.oid !== "string") throw new StoreUnavailableError("entra token without oid");
  return payload.oid;
}
