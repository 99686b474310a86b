/**
 * `@sleeptime/service`: sleeptime as a service. The HTTP API (Hono) with tenants and API keys, the
 * OpenAI-compatible proxy, and durable sleep jobs: triggers, the job runner, the embedded polling
 * queue and Graphile Worker scale-out on PostgreSQL.
 */
export { createServerApp, type ServerAppOptions, type ServerEnvironment } from './server/app.js';
export { defaultMaxBodyBytes } from './server/service-defaults.js';
export { startHttpServer, type RunningHttpServer } from './server/http-server.js';
export { apiKeyPrefix, authenticateApiKey, bootstrapApiKey, hashApiKey, issueApiKey, listApiKeys, revokeApiKey, type IssuedApiKey } from './tenancy/api-keys.js';
export { tenantScope, type TenantScope } from './tenancy/tenant-scope.js';
export { buildOpenApiDocument } from './server/openapi.js';
export { contextHeader, learnedHeader, stalePolicyHeader } from './server/routes/chat-completion-routes.js';
export {
  defaultJobQueue,
  startSleepJobProcessing,
  type JobQueueKind,
  type SleepJobProcessing,
  type SleepJobProcessingOptions,
} from './jobs/job-processing.js';
export {
  createJobRunner,
  defaultJobTimeoutMs,
  defaultLeaseMs,
  defaultMaxSleepTokensPerTenantPerDay,
  defaultRetryBaseDelayMs,
  defaultRetryMaxDelayMs,
  type JobOutcome,
  type JobRunner,
  type JobRunnerOptions,
} from './jobs/job-runner.js';
export { createJobWorker, defaultPollIntervalMs, type JobWorker, type JobWorkerOptions } from './jobs/job-worker.js';
export { createSleepTriggers, defaultQuietPeriodMs, sleepCoalesceKey, type SleepTriggerOptions, type SleepTriggers } from './jobs/sleep-triggers.js';
export { applyStaleAskPolicy, defaultStaleAskPolicy, isFresh, parseStaleAskPolicy, waitForFreshLearned, type StaleAskPolicy } from './jobs/stale-ask.js';
export { createSleepJobs, type SleepJobs } from './jobs/sleep-triggers.js';
