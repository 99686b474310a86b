/** Defaults of the HTTP service, in a module of their own so that reading them loads nothing else. */

/** Largest request body accepted, in bytes. */
export const defaultMaxBodyBytes = 1024 * 1024;

/** How many contexts, and bytes of UTF-8 text in all, one tenant may keep. */
export const defaultTenantQuota = Object.freeze({ maxContexts: 10_000, maxBytes: 256 * 1024 * 1024 });

/** Requests a second per API key, and how many at once after a quiet spell. */
export const defaultRateLimit = Object.freeze({ requestsPerSecond: 100, burst: 200 });
