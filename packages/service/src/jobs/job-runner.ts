/**
 * Runs one claimed sleep job through the engine under its lease: heartbeats extend the lease (a lost
 * lease aborts the run), a timeout stops runaway runs, failures are retried with exponential backoff
 * up to the job's attempts, and the publish is fenced by the lease, so a worker that lost its job
 * never publishes next to the one that took it over. Shared by the polling worker (embedded store)
 * and the Graphile Worker tasks (PostgreSQL scale-out).
 */
import { SleeptimeError, errorMessage, sleepBudgetSchema, systemError, userError, type Engine, type JobRecord, type RunError, type SleepOptions, type Store } from '@sleeptime/core';

import { defaultJobTimeoutMs, defaultLeaseMs, defaultMaxSleepTokensPerTenantPerDay, defaultRetryBaseDelayMs, defaultRetryMaxDelayMs } from './job-defaults.js';

export { defaultJobTimeoutMs, defaultLeaseMs, defaultMaxSleepTokensPerTenantPerDay, defaultRetryBaseDelayMs, defaultRetryMaxDelayMs };

export interface JobRunnerOptions {
  store: Store;
  engine: Pick<Engine, 'sleep' | 'getRun' | 'abandonRun'>;
  leaseMs?: number;
  /** A job running longer is aborted and retried; its run and the job say so (code `job_timeout`). */
  jobTimeoutMs?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /**
   * Sleep-time tokens one tenant's sleeps may spend a UTC day (default
   * {@link defaultMaxSleepTokensPerTenantPerDay}; 0: no limit). A job whose tenant is at or over it
   * runs no model: it waits, pending, until the next 00:00 UTC with `sleep_token_limit` as its error.
   */
  maxSleepTokensPerTenantPerDay?: number;
  now?: () => Date;
  /** Called after the runner enqueued a job itself (the follow-up of a superseded run). */
  onEnqueued?: (job: JobRecord) => void | Promise<void>;
  /** Called after each job attempt; errors thrown here are ignored. */
  onJobSettled?: (outcome: JobOutcome) => void;
}

export interface JobOutcome {
  job: JobRecord;
  /**
   * `superseded`: the context changed during the run, nothing was published and a follow-up job
   * is pending (the one the write enqueued, or a new one due now); `lease-lost`: another worker took the job over, so this one recorded nothing;
   * `deferred`: the tenant had no sleep-time tokens left today, so no model ran and the job waits for the next UTC day.
   */
  status: 'succeeded' | 'superseded' | 'retrying' | 'deferred' | 'failed' | 'lease-lost';
  runId: string | null;
  error?: RunError;
}

export interface JobRunner {
  readonly leaseMs: number;
  /** Runs a job `owner` has just claimed; `signal` aborts it (shutdown), sending it back to the queue. */
  run(job: JobRecord, owner: string, signal: AbortSignal): Promise<JobOutcome>;
}

/** Model-build failures that no retry fixes: no file, no download, no key, no llama package. */
const permanentModelCodes = new Set(['model_download_failed', 'model_file_not_found', 'invalid_model_file', 'missing_api_key', 'missing_base_url', 'llama_not_installed']);

/** A failure the same job would meet again: a user error (bad options, context gone) or a model that cannot be built. */
export function isPermanentFailure(error: SleeptimeError): boolean {
  if (error.category === 'user' || permanentModelCodes.has(error.code)) return true;
  // The engine wraps what a model factory threw; what it wraps may be one of the above.
  return error.code === 'model_load_failed' && SleeptimeError.isInstance(error.cause) && isPermanentFailure(error.cause);
}

/** The engine's sleep option for a `maxSleepTokensPerTenantPerDay` service option: the default where unset, none for 0. */
export function dailySleepTokenLimit(maxSleepTokensPerTenantPerDay: number | undefined): number | undefined {
  const limit = maxSleepTokensPerTenantPerDay ?? defaultMaxSleepTokensPerTenantPerDay;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw userError('invalid_option', `maxSleepTokensPerTenantPerDay must be a whole number of at least 0, got ${String(limit)}`, { field: 'maxSleepTokensPerTenantPerDay' });
  }
  return limit === 0 ? undefined : limit;
}

/** When a job refused by its tenant's daily sleep-time tokens may run: the next UTC day, as the engine said. */
function nextDayOf(error: SleeptimeError): Date | undefined {
  if (error.code !== 'sleep_token_limit') return undefined;
  const resetsAt = new Date(String(error.details.resetsAt));
  return Number.isNaN(resetsAt.getTime()) ? undefined : resetsAt;
}

/** The sleep options of a job's payload (what `POST /sleep` validated); the engine checks them again. */
function sleepOptionsFrom(payload: Record<string, unknown>): SleepOptions {
  const parsed = sleepBudgetSchema.safeParse(payload);
  // A payload that no longer parses (written by another version) reaches the engine as it is, which refuses it as a user error.
  return parsed.success ? parsed.data : (payload as SleepOptions);
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { store, engine } = options;
  const now = options.now ?? (() => new Date());
  const leaseMs = options.leaseMs ?? defaultLeaseMs;
  const jobTimeoutMs = options.jobTimeoutMs ?? defaultJobTimeoutMs;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? defaultRetryBaseDelayMs;
  const retryMaxDelayMs = options.retryMaxDelayMs ?? defaultRetryMaxDelayMs;
  const maxTokensPerTenantPerDay = dailySleepTokenLimit(options.maxSleepTokensPerTenantPerDay);

  /** A worker that died mid-run left its run `running`; the worker taking the job over closes it. */
  async function closeAbandonedRun(job: JobRecord): Promise<void> {
    if (job.attempts <= 1 || job.runId === null) return;
    await engine.abandonRun(job.runId, {
      code: 'worker_lost',
      message: `The worker running this sleep stopped renewing its lease; job '${job.id}' was taken over (attempt ${job.attempts})`,
    });
  }

  /**
   * A job that failed for good before the engine started its run: the run id the 202 announced
   * becomes a failed run with the job's error, so it resolves like any run. Best effort: the job
   * keeps the id, and the run routes show a failed job's error for it anyway.
   */
  async function recordUnstartedRun(job: JobRecord, error: RunError): Promise<void> {
    if (job.runId === null) return;
    try {
      if ((await engine.getRun(job.runId)) !== undefined) return;
      const context = await store.contexts.get(job.contextId);
      if (context === undefined) return;
      // No model was loaded, so none is named.
      await store.runs.start({ id: job.runId, contextId: job.contextId, kind: 'sleep', model: '', settings: job.payload, sourceVersion: context.version });
      await store.runs.fail(job.runId, error, { inputTokens: 0, outputTokens: 0, reasoningTokens: 0 });
    } catch {
      // See above: the job's own record still carries the error.
    }
  }

  async function run(job: JobRecord, owner: string, signal: AbortSignal): Promise<JobOutcome> {
    const outcome = await runAttempt(job, owner, signal);
    try {
      options.onJobSettled?.(outcome);
    } catch {
      // See JobRunnerOptions.onJobSettled.
    }
    return outcome;
  }

  async function runAttempt(job: JobRecord, owner: string, signal: AbortSignal): Promise<JobOutcome> {
    const attempt = new AbortController();
    let leaseLost = false;
    let timedOut = false;
    const timeoutError = systemError('job_timeout', `The sleep job ran longer than its ${jobTimeoutMs} ms timeout (--job-timeout-ms) and was stopped`);
    const timeout = setTimeout(() => {
      timedOut = true;
      // A SleeptimeError reason becomes the run's error (see the engine's abortedError): it says the job timed out.
      attempt.abort(timeoutError);
    }, jobTimeoutMs);
    const beat = (runId?: string) =>
      store.jobs.heartbeat({ jobId: job.id, owner, leaseMs, now: now(), ...(runId === undefined ? {} : { runId }) }).then(
        (held) => {
          if (!held) {
            leaseLost = true;
            attempt.abort(new Error('the job lease was lost'));
          }
        },
        // A missed heartbeat is not a lost lease: the next one may get through before expiry.
        () => undefined,
      );
    const heartbeat = setInterval(() => void beat(), Math.max(10, Math.floor(leaseMs / 3)));
    let runId: string | null = null;
    try {
      await closeAbandonedRun(job);
      // The pre-assigned id is for the first run only; a retry's run gets its own.
      const preassigned = job.runId !== null && (await engine.getRun(job.runId)) === undefined ? job.runId : undefined;
      await engine.sleep(job.contextId, {
        ...sleepOptionsFrom(job.payload),
        onlyIfCurrent: true,
        publishFence: { jobId: job.id, owner },
        maxTokensPerTenantPerDay,
        signal: AbortSignal.any([attempt.signal, signal]),
        ...(preassigned === undefined ? {} : { runId: preassigned }),
        onStarted: (started) => {
          runId = started.id;
          void beat(started.id);
        },
      });
      const completed = await store.jobs.complete({ jobId: job.id, owner, runId, now: now() });
      return { job: completed ?? job, status: completed === undefined ? 'lease-lost' : 'succeeded', runId };
    } catch (thrown) {
      const error = SleeptimeError.isInstance(thrown) ? thrown : systemError('job_failed', errorMessage(thrown), thrown);
      if (leaseLost || error.code === 'lease_lost') return { job, status: 'lease-lost', runId, error: { code: 'lease_lost', message: error.message } };
      if (error.code === 'superseded') {
        const completed = await store.jobs.complete({ jobId: job.id, owner, runId, now: now() });
        // A new run follows on the newer version. When the write that moved the context already
        // enqueued one (the quiet-period trigger), that job keeps its time: pulling it to now would
        // start a run per write while writes keep coming, each thrown away by the next.
        const waiting = (await store.jobs.list(job.contextId, { status: 'pending' })).some((other) => other.coalesceKey === job.coalesceKey);
        if (!waiting) {
          const { job: followUp } = await store.jobs.enqueue({
            kind: 'sleep',
            contextId: job.contextId,
            ...(job.coalesceKey === null ? {} : { coalesceKey: job.coalesceKey }),
            payload: job.payload,
            maxAttempts: job.maxAttempts,
            runAfter: now(),
            now: now(),
          });
          await options.onEnqueued?.(followUp);
        }
        return { job: completed ?? job, status: 'superseded', runId, error: { code: error.code, message: error.message } };
      }
      const nextDay = nextDayOf(error);
      if (nextDay !== undefined) {
        // Out of sleep-time tokens today: not a failure of the job, whose work is still wanted. It
        // waits for the next day (a write meanwhile makes it due sooner; it is checked again then).
        const deferred = await store.jobs.defer({ jobId: job.id, owner, runAfter: nextDay, error: { code: error.code, message: error.message }, now: now() });
        if (deferred === undefined) return { job, status: 'lease-lost', runId, error: { code: error.code, message: error.message } };
        if (deferred.status === 'failed') await recordUnstartedRun(deferred, { code: error.code, message: error.message });
        return { job: deferred, status: deferred.status === 'pending' ? 'deferred' : 'failed', runId, error: { code: error.code, message: error.message } };
      }
      const recorded: RunError = timedOut
        ? { code: timeoutError.code, message: timeoutError.message }
        : { code: error.code, message: error.message };
      // A permanent failure fails the same way again; a shutdown is not the job's fault.
      const shuttingDown = signal.aborted;
      const retry = shuttingDown || timedOut || !isPermanentFailure(error);
      const retryDelayMs = shuttingDown ? 0 : Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** Math.max(0, job.attempts - 1));
      // No run started: the job keeps the id it had (a pre-assigned one must keep resolving).
      const failed = await store.jobs.fail({ jobId: job.id, owner, error: recorded, retryDelayMs, retry, ...(runId === null ? {} : { runId }), now: now() });
      if (failed === undefined) return { job, status: 'lease-lost', runId, error: recorded };
      if (failed.status === 'failed' && runId === null) await recordUnstartedRun(failed, recorded);
      return { job: failed, status: failed.status === 'pending' ? 'retrying' : 'failed', runId, error: recorded };
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
    }
  }

  return { leaseMs, run };
}
