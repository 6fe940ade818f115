import type { BuildOptions } from "esbuild";

/** An output file of a cached build: where esbuild would have written it, and its bytes. */
export interface CachedOutput {
  path: string;
  contents: Uint8Array;
}

/** esbuild's buildSync, answered from `.gen/cache/<name>.json` while nothing it read has changed. */
export function cachedBuildSync(name: string, options: BuildOptions, salt?: string): CachedOutput[];

/** esbuild's build (plugins allowed); `salt` must name what the plugins do, since functions are not part of the key. */
export function cachedBuild(name: string, options: BuildOptions, salt?: string): Promise<CachedOutput[]>;

/** SHA-256 of bytes or text, as lowercase hex: the digest the cache compares inputs by. */
export function sha256(data: Uint8Array | string): string;

export const CACHE_DIR: string;
