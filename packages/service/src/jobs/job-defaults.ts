/** Defaults of the sleep job runner. */
export const defaultLeaseMs = 60_000;
export const defaultJobTimeoutMs = 15 * 60_000;
export const defaultRetryBaseDelayMs = 1_000;
export const defaultRetryMaxDelayMs = 5 * 60_000;
