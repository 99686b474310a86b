/**
 * The embedded worker: polls the store's job table, runs each claimed sleep job through the engine
 * under a lease (heartbeats extend it; a crashed process's job is claimed again once it expires),
 * with a timeout, bounded retries and exponential backoff. Jobs live in the store, so a restart
 * loses none.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { SleeptimeError, systemError } from '../errors.js';
import type { Engine, SleepOptions } from '../engine/engine.js';
import type { JobRecord, RunError, Store } from '../store/types.js';

export const defaultPollIntervalMs = 250;
export const defaultLeaseMs = 60_000;
export const defaultJobTimeoutMs = 15 * 60_000;
export const defaultRetryBaseDelayMs = 1_000;
export const defaultRetryMaxDelayMs = 5 * 60_000;

export interface JobWorkerOptions {
  store: Store;
  engine: Pick<Engine, 'sleep'>;
  /** Names this worker in leases; default host, pid and a random suffix. */
  owner?: string;
  pollIntervalMs?: number;
  leaseMs?: number;
  /** A job running longer is aborted and retried (code `job_timeout`). */
  jobTimeoutMs?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  now?: () => Date;
  /** Called after each job attempt; errors thrown here are ignored. */
  onJobSettled?: (outcome: JobOutcome) => void;
  /** Errors of the polling loop itself (store unreachable...); the loop keeps going. */
  onError?: (error: unknown) => void;
}

export interface JobOutcome {
  job: JobRecord;
  /**
   * `superseded`: the context changed during the run, nothing was published and a follow-up job
   * was enqueued; `lease-lost`: another worker took the job over, so this one recorded nothing.
   */
  status: 'succeeded' | 'superseded' | 'retrying' | 'failed' | 'lease-lost';
  runId: string | null;
  error?: RunError;
}

export interface JobWorker {
  readonly owner: string;
  /** Starts polling; idempotent. */
  start(): void;
  /** Stops polling, aborts the job in flight (it goes back to the queue) and waits for it to settle. */
  stop(): Promise<void>;
  /** Polls now instead of after the interval (a job was just enqueued). */
  wake(): void;
  /** Claims and runs one due job; undefined when none is due. */
  runOnce(): Promise<JobOutcome | undefined>;
}

/** The sleep options a job's payload may carry; the engine validates them again. */
const payloadKeys = ['parallel', 'effort', 'maxRewrites', 'examples', 'maxOutputTokens', 'temperature'] as const;

function sleepOptionsFrom(payload: Record<string, unknown>): SleepOptions {
  const options: Record<string, unknown> = {};
  for (const key of payloadKeys) if (payload[key] !== undefined) options[key] = payload[key];
  return options as SleepOptions;
}

export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { store, engine } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = options.now ?? (() => new Date());
  const pollIntervalMs = options.pollIntervalMs ?? defaultPollIntervalMs;
  const leaseMs = options.leaseMs ?? defaultLeaseMs;
  const jobTimeoutMs = options.jobTimeoutMs ?? defaultJobTimeoutMs;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? defaultRetryBaseDelayMs;
  const retryMaxDelayMs = options.retryMaxDelayMs ?? defaultRetryMaxDelayMs;

  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  const stopping = new AbortController();

  function report(outcome: JobOutcome): JobOutcome {
    try {
      options.onJobSettled?.(outcome);
    } catch {
      // See JobWorkerOptions.onJobSettled.
    }
    return outcome;
  }

  async function runJob(job: JobRecord): Promise<JobOutcome> {
    const attempt = new AbortController();
    let leaseLost = false;
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      attempt.abort(new Error(`job timed out after ${jobTimeoutMs} ms`));
    }, jobTimeoutMs);
    const heartbeat = setInterval(() => {
      store.jobs.heartbeat({ jobId: job.id, owner, leaseMs, now: now() }).then(
        (held) => {
          if (!held) {
            leaseLost = true;
            attempt.abort(new Error('the job lease was lost'));
          }
        },
        // A missed heartbeat is not a lost lease: the next one may get through before expiry.
        () => undefined,
      );
    }, Math.max(10, Math.floor(leaseMs / 3)));
    let runId: string | null = null;
    try {
      // The pre-assigned id is for the first run only; a retry's run gets its own.
      const preassigned = job.runId !== null && (await store.runs.get(job.runId)) === undefined ? job.runId : undefined;
      await engine.sleep(job.contextId, {
        ...sleepOptionsFrom(job.payload),
        onlyIfCurrent: true,
        signal: AbortSignal.any([attempt.signal, stopping.signal]),
        ...(preassigned === undefined ? {} : { runId: preassigned }),
        onStarted: (run) => {
          runId = run.id;
        },
      });
      const completed = await store.jobs.complete({ jobId: job.id, owner, runId, now: now() });
      return { job: completed ?? job, status: completed === undefined ? 'lease-lost' : 'succeeded', runId };
    } catch (thrown) {
      const error = SleeptimeError.isInstance(thrown) ? thrown : systemError('job_failed', thrown instanceof Error ? thrown.message : String(thrown), thrown);
      if (leaseLost) return { job, status: 'lease-lost', runId, error: { code: error.code, message: error.message } };
      if (error.code === 'superseded') {
        const completed = await store.jobs.complete({ jobId: job.id, owner, runId, now: now() });
        // A new run follows on the newer version (coalesced with any job its write enqueued).
        await store.jobs.enqueue({
          kind: 'sleep',
          contextId: job.contextId,
          ...(job.coalesceKey === null ? {} : { coalesceKey: job.coalesceKey }),
          payload: job.payload,
          maxAttempts: job.maxAttempts,
          runAfter: now(),
          now: now(),
        });
        return { job: completed ?? job, status: 'superseded', runId, error: { code: error.code, message: error.message } };
      }
      const recorded: RunError = timedOut
        ? { code: 'job_timeout', message: `The sleep job ran longer than ${jobTimeoutMs} ms and was stopped` }
        : { code: error.code, message: error.message };
      // A user error (bad options, context gone) fails the same way again; a shutdown is not the job's fault.
      const shuttingDown = stopping.signal.aborted;
      const retry = shuttingDown || timedOut || error.category !== 'user';
      const retryDelayMs = shuttingDown ? 0 : Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** Math.max(0, job.attempts - 1));
      const failed = await store.jobs.fail({ jobId: job.id, owner, error: recorded, retryDelayMs, retry, runId, now: now() });
      if (failed === undefined) return { job, status: 'lease-lost', runId, error: recorded };
      return { job: failed, status: failed.status === 'pending' ? 'retrying' : 'failed', runId, error: recorded };
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
    }
  }

  async function runOnce(): Promise<JobOutcome | undefined> {
    const job = await store.jobs.claim({ owner, leaseMs, now: now() });
    if (job === undefined) return undefined;
    return report(await runJob(job));
  }

  async function poll(): Promise<void> {
    while (running) {
      let outcome: JobOutcome | undefined;
      try {
        outcome = await runOnce();
      } catch (error) {
        options.onError?.(error);
      }
      // Straight on to the next job while there is work; otherwise wait for the interval or a wake-up.
      if (outcome !== undefined || !running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  }

  return {
    owner,
    start() {
      if (running) return;
      running = true;
      loop = poll();
    },
    async stop() {
      running = false;
      stopping.abort(new Error('worker stopping'));
      wakeUp?.();
      await loop;
    },
    wake() {
      wakeUp?.();
    },
    runOnce,
  };
}
