export { createJobRunner, type JobOutcome, type JobRunner, type JobRunnerOptions } from './job-runner.js';
export { createJobWorker, type JobWorker, type JobWorkerOptions } from './job-worker.js';
export { createSleepTriggers, defaultQuietPeriodMs, sleepCoalesceKey, type SleepTriggerOptions, type SleepTriggers } from './sleep-triggers.js';
export { applyStaleAskPolicy, defaultStaleAskPolicy, isFresh, parseStaleAskPolicy, waitForFreshLearned, type StaleAskPolicy } from './stale-ask.js';
