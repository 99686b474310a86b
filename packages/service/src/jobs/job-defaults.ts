/** Defaults of the sleep job runner. */
/** A context is slept on once it has not been written for this long. */
export const defaultQuietPeriodMs = 30_000;
export const defaultLeaseMs = 60_000;
export const defaultJobTimeoutMs = 15 * 60_000;
export const defaultRetryBaseDelayMs = 1_000;
export const defaultRetryMaxDelayMs = 5 * 60_000;
/**
 * Sleep jobs of one tenant running at once across all workers on the store. One: with the default
 * two workers of `serve`, a tenant writing to many contexts (or hung on an upstream call) holds at
 * most one, and the other tenants' sleeps keep the rest; a tenant's own sleeps then run one by one.
 */
export const defaultMaxSleepsPerTenant = 1;

/** The store claim's tenant cap for a `maxSleepsPerTenant` option: default one, 0 for none. */
export function tenantCap(maxSleepsPerTenant: number | undefined): { maxPerTenant?: number } {
  const cap = maxSleepsPerTenant ?? defaultMaxSleepsPerTenant;
  return cap === 0 ? {} : { maxPerTenant: cap };
}

/**
 * Sleep-time tokens (input + output) one tenant's sleeps may spend in a UTC day; past it, its next
 * sleep waits for the next day. Two million is about a hundred sleeps of a context of a few thousand
 * tokens (each call of a sleep reads the context and the memory again): room for a busy tenant, yet a
 * runaway client cannot spend without bound. 0: no limit.
 */
export const defaultMaxSleepTokensPerTenantPerDay = 2_000_000;
