/** Defaults of the sleep job runner. */
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

/** The tenant part of a stored context id, dot included (`t1.notes` → `t1.`); undefined with no tenant. */
export function tenantPrefixOf(contextId: string): string | undefined {
  const dot = contextId.indexOf('.');
  return dot < 0 ? undefined : contextId.slice(0, dot + 1);
}
