/**
 * Flags shared by `sleeptime serve` and `sleeptime worker`: which queue delivers sleep jobs, how
 * many this process runs, and their leases; plus the wait for a stop signal both commands share.
 */
import type { Command } from 'commander';
import { DEFAULT_RETRY_OPTIONS, userError, errorMessage, type RetryOptions } from '@sleeptime/core';
import type { JobOutcome, JobQueueKind, SleepJobProcessing } from '@sleeptime/service';
import { defaultJobTimeoutMs, defaultLeaseMs, defaultMaxSleepTokensPerTenantPerDay, defaultMaxSleepsPerTenant } from '@sleeptime/service/defaults';
import { integerFlag } from './global-options.js';
import type { Runtime } from './runtime.js';

export interface JobFlagValues {
  queue?: string;
  leaseMs: string;
  jobTimeoutMs: string;
  callTimeoutMs: string;
  callAttempts: string;
  maxSleepsPerTenant: string;
  maxSleepTokensPerTenantPerDay: string;
}

export function addJobFlags(command: Command): Command {
  return command
    .option('--queue <kind>', 'how sleep jobs reach workers: embedded (store job table) or graphile (Graphile Worker, PostgreSQL); default graphile on PostgreSQL, else embedded')
    .option('--lease-ms <n>', 'a job whose worker has not renewed its lease for this long is taken over', String(defaultLeaseMs))
    .option('--job-timeout-ms <n>', 'a sleep job running longer is stopped and retried', String(defaultJobTimeoutMs))
    .option('--call-timeout-ms <n>', 'one attempt of an upstream model call waits this long for its answer (or between streamed pieces); 0: no limit', String(DEFAULT_RETRY_OPTIONS.timeoutMs))
    .option('--call-attempts <n>', 'attempts of an upstream model call, the first included (retried with backoff on timeouts, 429 and 5xx)', String(DEFAULT_RETRY_OPTIONS.maxAttempts))
    .option('--max-sleeps-per-tenant <n>', 'sleep jobs of one tenant running at once across all workers on the store, so no tenant holds every worker; 0: no cap', String(defaultMaxSleepsPerTenant))
    .option(
      '--max-sleep-tokens-per-tenant-per-day <n>',
      "sleep-time tokens (input + output) one tenant's sleeps may spend a UTC day; then its sleep requests get 429 sleep_token_limit and its sleep jobs wait for the next day; 0: no limit",
      String(defaultMaxSleepTokensPerTenantPerDay),
    );
}

/** The upstream calls' time and retry budget (the model's retry policy), from the shared flags. */
export function parseCallFlags(values: Pick<JobFlagValues, 'callTimeoutMs' | 'callAttempts'>): Pick<RetryOptions, 'timeoutMs' | 'maxAttempts'> {
  return {
    timeoutMs: integerFlag(values.callTimeoutMs, '--call-timeout-ms', 0, 24 * 3_600_000) ?? DEFAULT_RETRY_OPTIONS.timeoutMs,
    maxAttempts: integerFlag(values.callAttempts, '--call-attempts', 1, 20) ?? DEFAULT_RETRY_OPTIONS.maxAttempts,
  };
}

export function parseJobFlags(values: JobFlagValues): { queue?: JobQueueKind; leaseMs: number; jobTimeoutMs: number; maxSleepsPerTenant: number; maxSleepTokensPerTenantPerDay: number } {
  if (values.queue !== undefined && values.queue !== 'embedded' && values.queue !== 'graphile') {
    throw userError('invalid_option', `--queue must be embedded or graphile, got "${values.queue}"`);
  }
  return {
    ...(values.queue === undefined ? {} : { queue: values.queue }),
    leaseMs: integerFlag(values.leaseMs, '--lease-ms', 100, 24 * 3_600_000) ?? defaultLeaseMs,
    jobTimeoutMs: integerFlag(values.jobTimeoutMs, '--job-timeout-ms', 100, 7 * 24 * 3_600_000) ?? defaultJobTimeoutMs,
    maxSleepsPerTenant: integerFlag(values.maxSleepsPerTenant, '--max-sleeps-per-tenant', 0, 10_000) ?? defaultMaxSleepsPerTenant,
    maxSleepTokensPerTenantPerDay:
      integerFlag(values.maxSleepTokensPerTenantPerDay, '--max-sleep-tokens-per-tenant-per-day', 0, 1_000_000_000_000) ?? defaultMaxSleepTokensPerTenantPerDay,
  };
}

/** Starts this process's sleep job processing on the runtime's store, logging each job attempt and error. */
export async function startJobsOnRuntime(
  runtime: Runtime,
  settings: ReturnType<typeof parseJobFlags> & { workers: number },
  log: (line: string) => void,
): Promise<SleepJobProcessing> {
  const { startSleepJobProcessing } = await import('@sleeptime/service');
  return startSleepJobProcessing({
    store: runtime.store,
    engine: runtime.engine,
    ...(runtime.storeConfig.kind === 'postgres' ? { connectionString: runtime.storeConfig.url } : {}),
    ...settings,
    onJobSettled: (outcome) => log(describeJobOutcome(outcome)),
    onError: (error) => log(`job worker: ${errorMessage(error)}\n`),
  });
}

/** One line per settled job attempt, for the operator's log. */
export function describeJobOutcome(outcome: JobOutcome): string {
  const run = outcome.runId === null ? '' : ` run ${outcome.runId}`;
  const error = outcome.error === undefined ? '' : `: ${outcome.error.code}: ${outcome.error.message}`;
  return `job ${outcome.job.id} (context ${outcome.job.contextId}, attempt ${outcome.job.attempts}) ${outcome.status}${run}${error}\n`;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      // Removed only after this signal's other listeners ran: signal-exit (node-llama-cpp loads it)
      // re-sends the signal, killing the process mid-shutdown, when it finds itself the only listener.
      setImmediate(() => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      });
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
