/**
 * The Azure SDKs and ioredis, each loaded the first time it is needed. Bundled, they are four fifths of the broker
 * (1.2 of 1.5 MiB), and parsing them was most of a cold start; a worker that serves health checks and Fluid tokens
 * never loads them, and one that mints Cosmos tokens loads only the Cosmos SDK.
 * In the deployed package each is a file of its own, sdk/<name>.js beside index.js (stacks/broker-package.ts), and
 * the same relative require reaches it there as reaches functions-src/sdk/<name>.ts in source and tests.
 */
import type * as Cosmos from "./sdk/cosmos";
import type * as Identity from "./sdk/identity";
import type * as RedisSdk from "./sdk/redis";
import type * as Storage from "./sdk/storage";

function once<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

/* eslint-disable @typescript-eslint/no-require-imports -- a static import would load the SDK with the broker */
export const cosmosSdk = once((): typeof Cosmos => require("./sdk/cosmos"));
export const identitySdk = once((): typeof Identity => require("./sdk/identity"));
export const redisSdk = once((): typeof RedisSdk => require("./sdk/redis"));
export const storageSdk = once((): typeof Storage => require("./sdk/storage"));
