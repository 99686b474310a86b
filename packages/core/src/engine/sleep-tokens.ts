/**
 * Sleep-time tokens per tenant per UTC day: what every sleep-time model call of a tenant's context
 * spent is counted the moment the call is recorded, on the day (UTC, by the engine's clock) it was
 * recorded, and a sleep with a daily limit starts only while the tenant's count of the day is below
 * it. A sleep in progress is never stopped: it may end over the limit (each of its calls is bounded
 * by its output limit, and its calls by the rewrite limit), and the next one waits for the next day.
 *
 * Tokens are input + output as the provider reported them: output tokens already include reasoning
 * tokens, which are not counted a second time. The prefix warm-up after a publish is not a
 * sleep-time call of the run and is not counted.
 */
import { userError, type SleeptimeError } from '../errors.js';
import type { Usage } from '../models/usage.js';
import { tenantPrefixOf } from '../store/tenant-prefix.js';
import type { EngineDeps } from './engine-deps.js';
import { storeCall } from './engine-errors.js';
import type { SleepTokenUsage } from './engine-types.js';

const dayMs = 86_400_000;

/** The UTC day of a time, `YYYY-MM-DD`. */
export function utcDay(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

/** The next 00:00 UTC after a time: when a day's count stops applying. */
export function nextUtcMidnight(timeMs: number): Date {
  return new Date(Math.floor(timeMs / dayMs) * dayMs + dayMs);
}

/** The tokens a call counts for: input and output (reasoning tokens are part of the output). */
export function countedSleepTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens;
}

/** A daily limit as a sleep option carries it: a whole number of at least 1, or none. */
export function checkDailyLimit(limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 1) return limit;
  throw userError('invalid_option', `maxTokensPerTenantPerDay must be a whole number of at least 1, got ${String(limit)}`, { field: 'maxTokensPerTenantPerDay' });
}

export async function sleepTokenUsage(deps: EngineDeps, tenant: string): Promise<SleepTokenUsage> {
  const time = deps.now();
  const day = utcDay(time);
  const tokens = await storeCall('read the sleep-time tokens', () => deps.store.sleepTokens.get({ tenant, day }));
  return { tenant, day, tokens, resetsAt: nextUtcMidnight(time) };
}

/** The refusal of a sleep whose tenant reached its daily limit; its details say until when. */
function sleepTokenLimit(limit: number, usage: SleepTokenUsage, timeMs: number): SleeptimeError {
  const retryAfterSeconds = Math.max(1, Math.ceil((usage.resetsAt.getTime() - timeMs) / 1000));
  return userError(
    'sleep_token_limit',
    `The tenant's sleep runs used ${usage.tokens} tokens today (UTC ${usage.day}), at or over its limit of ${limit} sleep-time tokens a day; sleeps start again at midnight UTC`,
    { limit, tokens: usage.tokens, day: usage.day, resetsAt: usage.resetsAt.toISOString(), retryAfterSeconds },
  );
}

/**
 * Throws `sleep_token_limit` (user) when the tenant of `contextId` has already spent `limit` or more
 * sleep-time tokens today. No limit, or a context without a tenant: nothing to check.
 */
export async function checkSleepTokens(deps: EngineDeps, contextId: string, limit: number | undefined): Promise<void> {
  const checked = checkDailyLimit(limit);
  const tenant = tenantPrefixOf(contextId);
  if (checked === undefined || tenant === undefined) return;
  const usage = await sleepTokenUsage(deps, tenant);
  if (usage.tokens >= checked) throw sleepTokenLimit(checked, usage, deps.now());
}

/** Counts one recorded sleep-time call toward its tenant's day (contexts without a tenant are not counted). */
export async function countSleepTokens(deps: EngineDeps, contextId: string, usage: Usage): Promise<void> {
  const tenant = tenantPrefixOf(contextId);
  const tokens = countedSleepTokens(usage);
  if (tenant === undefined || tokens === 0) return;
  await storeCall('count the sleep-time tokens', () => deps.store.sleepTokens.add({ tenant, day: utcDay(deps.now()), tokens }));
}
