/**
 * rate-limiter-flexible's index loads every backend it supports (Mongo, MySQL, Postgres, DynamoDB, ...); the broker
 * bundle takes only the three classes it uses, through their own modules. Types still come from the package.
 */
import type * as Flexible from "rate-limiter-flexible";

/* eslint-disable @typescript-eslint/no-require-imports */
export const RateLimiterMemory: typeof Flexible.RateLimiterMemory = require("rate-limiter-flexible/lib/RateLimiterMemory");
export const RateLimiterRedis: typeof Flexible.RateLimiterRedis = require("rate-limiter-flexible/lib/RateLimiterRedis");
export const RateLimiterRes: typeof Flexible.RateLimiterRes = require("rate-limiter-flexible/lib/RateLimiterRes");
export type RateLimiterAbstract = Flexible.RateLimiterAbstract;
