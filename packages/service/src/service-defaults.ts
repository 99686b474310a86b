/**
 * `@sleeptime/service/defaults`: the service's defaults and the stale-ask policy parser, in a module
 * that loads nothing else (the CLI shows them in its help without loading the service).
 */
export { defaultMaxBodyBytes, defaultRateLimit, defaultTenantQuota } from './server/service-defaults.js';
export {
  defaultQuietPeriodMs,
  defaultJobTimeoutMs,
  defaultLeaseMs,
  defaultMaxSleepTokensPerTenantPerDay,
  defaultMaxSleepsPerTenant,
  defaultRetryBaseDelayMs,
  defaultRetryMaxDelayMs,
} from './jobs/job-defaults.js';
export { parseStaleAskPolicy, type StaleAskPolicy } from './jobs/stale-ask.js';
