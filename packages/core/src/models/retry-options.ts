/** The retry policy's settings (the policy itself is described in retry.ts), in a module that loads nothing heavy. */
import { z } from 'zod';
import { userError, type SleeptimeError } from '../errors.js';
import { withoutUndefined } from '../without-undefined.js';
import { abortableSleep } from './attempt-scope.js';

export interface RetryEvent {
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  /** What the failure would be reported as if no attempts were left. */
  error: SleeptimeError;
}

export interface RetryOptions {
  /** Total calls, the first one included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Per attempt: until the response (or first stream chunk) arrives, then between chunks. 0 = none. */
  timeoutMs: number;
  /** The longest server-requested wait (Retry-After) to honour; a longer one gives up at once. */
  maxRetryAfterMs: number;
  /** Returns a number in [0, 1). Injectable for tests. */
  random: () => number;
  /** Waits `ms`, rejecting with the signal's reason when it aborts. Injectable for tests. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (event: RetryEvent) => void;
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 4,
  initialDelayMs: 500,
  maxDelayMs: 8000,
  timeoutMs: 120_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
  sleep: abortableSleep,
});

const nonNegativeMilliseconds = z.number().finite().nonnegative();
const retryNumbersSchema = z.object({
  // Capped so a typo cannot turn into a practically endless loop.
  maxAttempts: z.number().int().min(1).max(20),
  initialDelayMs: nonNegativeMilliseconds,
  maxDelayMs: nonNegativeMilliseconds,
  timeoutMs: nonNegativeMilliseconds,
  maxRetryAfterMs: nonNegativeMilliseconds,
});

export function resolveRetryOptions(options: Partial<RetryOptions> = {}): RetryOptions {
  const merged: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...withoutUndefined(options) };
  const parsed = retryNumbersSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw userError('invalid_retry_options', `invalid retry options: ${problems}`);
  }
  return merged;
}

/** Full-jitter exponential backoff before attempt `failedAttempt + 1`. */
export function backoffDelayMs(failedAttempt: number, options: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (failedAttempt - 1));
  return Math.floor(options.random() * ceiling);
}
