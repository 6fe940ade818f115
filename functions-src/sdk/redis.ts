/** What the broker uses of ioredis, loaded on first use through ../load-sdk.ts. */
export { default as Redis } from "ioredis";
