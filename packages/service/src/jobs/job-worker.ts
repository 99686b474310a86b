/**
 * The embedded worker: polls the store's job table and runs each claimed sleep job (see
 * `job-runner.ts` for leases, timeouts, retries and the publish fence). Jobs live in the store, so a
 * restart loses none. Several workers (threads of one process, or processes on one store) may poll
 * the same table: a claim is atomic.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { JobRecord } from '@sleeptime/core';
import { tenantCap } from './job-defaults.js';
import { createJobRunner, type JobOutcome, type JobRunnerOptions } from './job-runner.js';

export { defaultJobTimeoutMs, defaultLeaseMs, defaultRetryBaseDelayMs, defaultRetryMaxDelayMs, type JobOutcome } from './job-runner.js';

export const defaultPollIntervalMs = 250;

export interface JobWorkerOptions extends JobRunnerOptions {
  /** Names this worker in leases; default host, pid and a random suffix. */
  owner?: string;
  pollIntervalMs?: number;
  /** Sleep jobs of one tenant running at once on the store (default 1; 0: no cap). */
  maxSleepsPerTenant?: number;
  /** Errors of the polling loop itself (store unreachable...); the loop keeps going. */
  onError?: (error: unknown) => void;
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

export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { store } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = options.now ?? (() => new Date());
  const pollIntervalMs = options.pollIntervalMs ?? defaultPollIntervalMs;
  const runner = createJobRunner(options);
  const cap = tenantCap(options.maxSleepsPerTenant);

  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  const stopping = new AbortController();

  async function runOnce(): Promise<JobOutcome | undefined> {
    const job: JobRecord | undefined = await store.jobs.claim({ owner, leaseMs: runner.leaseMs, now: now(), ...cap });
    if (job === undefined) return undefined;
    return runner.run(job, owner, stopping.signal);
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
