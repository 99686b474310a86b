/**
 * A request rate limit per API key: a token bucket per key (`requestsPerSecond` refilled, up to
 * `burst` at once), in this process's memory. A request over the limit gets 429 `rate_limited` with
 * `Retry-After`, and is not served; the other keys are unaffected.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorBody } from '../api-errors.js';

export interface RateLimit {
  requestsPerSecond: number;
  /** Requests allowed at once after a quiet spell; default twice the rate per second. */
  burst?: number;
}

/** Buckets kept at most: the least recently used are forgotten (a full bucket, as a new key gets). */
const MAX_TRACKED_KEYS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export function rateLimitPerKey(limit: RateLimit, now: () => number = Date.now): MiddlewareHandler {
  const rate = limit.requestsPerSecond;
  const burst = limit.burst ?? rate * 2;
  const buckets = new Map<string, Bucket>();
  return async (context, next) => {
    const header = context.req.header('authorization') ?? '';
    // Keyed by a digest, so the map holds no key in the clear.
    const id = createHash('sha256').update(header).digest('base64url');
    const time = now();
    const bucket = buckets.get(id) ?? { tokens: burst, at: time };
    buckets.delete(id);
    bucket.tokens = Math.min(burst, bucket.tokens + ((time - bucket.at) / 1000) * rate);
    bucket.at = time;
    buckets.set(id, bucket);
    if (buckets.size > MAX_TRACKED_KEYS) buckets.delete(buckets.keys().next().value as string);
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
      context.header('retry-after', String(retryAfterSeconds));
      return context.json(
        errorBody(429, 'rate_limited', `More than ${rate} requests a second (bursts of ${burst}) with this API key; retry in ${retryAfterSeconds} s`),
        429,
      );
    }
    bucket.tokens -= 1;
    await next();
  };
}
