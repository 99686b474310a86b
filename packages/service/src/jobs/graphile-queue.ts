/**
 * Scale-out on PostgreSQL: sleep jobs are dispatched through Graphile Worker to any number of
 * `sleeptime worker` processes, on any machines that reach the database.
 *
 * The store's job table stays the record of every job (status, attempts, lease, runs: what the API
 * shows) and the authority on who runs it: a Graphile job only carries a store job's id, and its
 * task claims that job under a lease before running it (`job-runner.ts`). Graphile Worker brings
 * the delivery: LISTEN/NOTIFY pickup across machines, scheduled run times, and one queued delivery
 * per context (job key = the coalescing key, in `replace` mode, so a burst of writes moves one
 * delivery later instead of queueing many).
 *
 * Graphile Worker only frees a crashed worker's jobs after four hours. Leases detect a crash within
 * one lease instead: every worker sweeps for store jobs whose lease expired (or pending jobs that
 * no delivery picked up), unlocks the dead workers' Graphile jobs and delivers those store jobs
 * again. A delivery that finds its job already taken or finished does nothing, so extra deliveries
 * are harmless; the lease and the publish fence make sure a job runs, and publishes, once.
 */
import { hostname } from 'node:os';
import { Logger, makeWorkerUtils, run, type Runner, type Task, type WorkerUtils } from 'graphile-worker';
import { z } from 'zod';
import { SleeptimeError, systemError, tenantPrefixOf, userError, errorMessage } from '@sleeptime/core';
import type { JobRecord } from '@sleeptime/core';
import { tenantCap } from './job-defaults.js';
import { createJobRunner, type JobOutcome, type JobRunnerOptions } from './job-runner.js';

export const sleepTaskIdentifier = 'sleeptime_sleep';
/** Deliveries retried by Graphile Worker itself: only when the task could not reach the store. */
const deliveryAttempts = 10;
export const defaultPendingGraceMs = 10_000;

const deliveryPayload = z.object({ jobId: z.string().min(1) });

export interface GraphileQueueOptions {
  /** The PostgreSQL database of the store (Graphile Worker keeps its tables in schema `graphile_worker`). */
  connectionString: string;
  /** Warnings and errors of Graphile Worker and of deliveries; default: ignored. */
  onError?: (error: unknown) => void;
}

/** Delivers store jobs to the workers; the server uses it after every enqueue. */
export interface SleepJobDispatcher {
  /** Schedules a delivery of the store job at its `runAfter` (or `runAt`). Idempotent per context. */
  dispatch(job: JobRecord, runAt?: Date): Promise<void>;
  /** Frees the Graphile jobs held by workers that are gone (see the module comment). */
  unlockWorkers(graphileWorkerIds: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Connects, installs or upgrades Graphile Worker's schema, and returns a dispatcher. */
export async function createGraphileDispatcher(options: GraphileQueueOptions): Promise<SleepJobDispatcher> {
  let utils: WorkerUtils;
  try {
    utils = await makeWorkerUtils({ connectionString: options.connectionString, logger: graphileLogger(options.onError) });
    await utils.migrate();
  } catch (error) {
    throw systemError('queue_unavailable', `Could not set up Graphile Worker on the PostgreSQL store: ${errorMessage(error)}`, error);
  }
  let closed: Promise<void> | undefined;
  return {
    async dispatch(job, runAt) {
      await utils.addJob(sleepTaskIdentifier, { jobId: job.id }, deliverySpec(job, runAt));
    },
    async unlockWorkers(graphileWorkerIds) {
      if (graphileWorkerIds.length > 0) await utils.forceUnlockWorkers(graphileWorkerIds);
    },
    close() {
      closed ??= Promise.resolve(utils.release());
      return closed;
    },
  };
}

function deliverySpec(job: JobRecord, runAt: Date | undefined) {
  return {
    // One queued delivery per context; a delivery of a job already running makes a new one.
    jobKey: job.coalesceKey ?? `sleeptime-job:${job.id}`,
    jobKeyMode: 'replace' as const,
    runAt: runAt ?? job.runAfter,
    maxAttempts: deliveryAttempts,
  };
}

/** The lease owner names the process and the Graphile worker, so a sweeper can unlock a dead one's jobs. */
export function leaseOwnerFor(graphileWorkerId: string): string {
  return `${hostname()}:${process.pid}/${graphileWorkerId}`;
}

export function graphileWorkerIdOf(leaseOwner: string | null): string | undefined {
  if (leaseOwner === null) return undefined;
  const slash = leaseOwner.lastIndexOf('/');
  return slash < 0 ? undefined : leaseOwner.slice(slash + 1);
}

export interface GraphileSleepWorkerOptions extends Omit<JobRunnerOptions, 'onEnqueued'>, GraphileQueueOptions {
  /** Sleep jobs this process runs at once (default 1). */
  concurrency?: number;
  /** Sleep jobs of one tenant running at once on the store (default 1; 0: no cap). */
  maxSleepsPerTenant?: number;
  /** How often to look for jobs of crashed workers (default half the lease). */
  sweepIntervalMs?: number;
  /** A due pending job no delivery picked up within this time is delivered again (default 10 s). */
  pendingGraceMs?: number;
  /** Graphile Worker's poll for jobs scheduled in the future (default 1 s). */
  pollIntervalMs?: number;
}

export interface GraphileSleepWorker {
  /** Stops taking jobs, aborts the runs in flight (their jobs go back to the queue) and waits for them. */
  stop(): Promise<void>;
  /** Settles when the worker stops, or rejects if Graphile Worker fails. */
  readonly finished: Promise<void>;
}

/** Starts a Graphile Worker runner for sleep jobs on the PostgreSQL store, plus the crash sweeper. */
export async function startGraphileSleepWorker(options: GraphileSleepWorkerOptions): Promise<GraphileSleepWorker> {
  const { store } = options;
  if (store.kind !== 'postgres') {
    throw userError('postgres_required', 'Graphile Worker scale-out needs the PostgreSQL store (--database-url postgres://...)');
  }
  const now = options.now ?? (() => new Date());
  const dispatcher = await createGraphileDispatcher(options);
  const stopping = new AbortController();
  const reportError = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A logging failure must not stop the worker.
    }
  };
  const runner = createJobRunner({ ...options, onEnqueued: (job) => dispatcher.dispatch(job) });
  const pendingGraceMs = options.pendingGraceMs ?? defaultPendingGraceMs;
  const cap = tenantCap(options.maxSleepsPerTenant);
  const sweepIntervalMs = options.sweepIntervalMs ?? Math.max(100, Math.floor(runner.leaseMs / 2));

  /** Jobs this process is running: alive whatever their lease says (a slow heartbeat is not a crash). */
  const inFlight = new Set<string>();

  const task: Task = async (payload, helpers) => {
    const parsed = deliveryPayload.safeParse(payload);
    // A malformed delivery is not retried: it would fail the same way.
    if (!parsed.success) return;
    const { jobId } = parsed.data;
    const owner = leaseOwnerFor(helpers.job.locked_by ?? 'unknown');
    const job = await store.jobs.claim({ owner, leaseMs: runner.leaseMs, now: now(), jobId, ...cap });
    if (job === undefined) {
      const current = await store.jobs.get(jobId);
      // Delivered early (clocks apart, or the job was pushed later meanwhile): deliver it again on time.
      if (current?.status === 'pending' && current.runAfter > now()) await dispatcher.dispatch(current);
      // Otherwise it is finished, or running under a live lease (a sweep re-delivers it if that worker dies),
      // or waiting for another job of its context or its tenant (delivered again when that one ends,
      // and by the sweep once it has waited the pending grace period).
      return;
    }
    inFlight.add(job.id);
    let outcome: JobOutcome;
    try {
      outcome = await runner.run(job, owner, AbortSignal.any([helpers.abortSignal, stopping.signal]));
    } finally {
      inFlight.delete(job.id);
    }
    // Due again later: after the retry's backoff, or (deferred) once the tenant's new day of sleep-time tokens starts.
    if (outcome.status === 'retrying' || outcome.status === 'deferred') await dispatcher.dispatch(outcome.job);
    // Jobs of this context that waited while this one ran.
    for (const waiting of await store.jobs.list(job.contextId, { status: 'pending' })) {
      if (waiting.id !== outcome.job.id) await dispatcher.dispatch(waiting);
    }
    // Due jobs of this tenant that the tenant cap held back (the oldest 100 due jobs of all tenants).
    const tenant = tenantPrefixOf(job.contextId);
    if (cap.maxPerTenant !== undefined && tenant !== undefined) {
      for (const waiting of await store.jobs.overdue({ pendingGraceMs: 0, now: now() })) {
        if (waiting.status === 'pending' && waiting.id !== outcome.job.id && waiting.contextId !== job.contextId && waiting.contextId.startsWith(tenant)) await dispatcher.dispatch(waiting);
      }
    }
  };

  async function sweep(): Promise<void> {
    const overdue = (await store.jobs.overdue({ pendingGraceMs, now: now() })).filter((job) => !inFlight.has(job.id));
    if (overdue.length === 0) return;
    const dead = new Set<string>();
    for (const job of overdue) {
      const worker = job.status === 'running' ? graphileWorkerIdOf(job.leaseOwner) : undefined;
      if (worker !== undefined) dead.add(worker);
    }
    await dispatcher.unlockWorkers([...dead]);
    for (const job of overdue) await dispatcher.dispatch(job, now());
  }

  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(() => {
    if (sweeping !== undefined) return;
    sweeping = sweep()
      .catch((error: unknown) => reportError(error))
      .finally(() => {
        sweeping = undefined;
      });
  }, sweepIntervalMs);

  let graphile: Runner;
  try {
    graphile = await run({
      connectionString: options.connectionString,
      concurrency: options.concurrency ?? 1,
      pollInterval: options.pollIntervalMs ?? 1000,
      taskList: { [sleepTaskIdentifier]: task },
      noHandleSignals: true,
      useNodeTime: true,
      logger: graphileLogger(reportError),
    });
  } catch (error) {
    clearInterval(sweeper);
    await dispatcher.close();
    throw SleeptimeError.isInstance(error)
      ? error
      : systemError('queue_unavailable', `Could not start Graphile Worker: ${errorMessage(error)}`, error);
  }

  let stopped: Promise<void> | undefined;
  return {
    finished: graphile.promise,
    stop() {
      stopped ??= (async () => {
        clearInterval(sweeper);
        // Abort first: a sleep can take minutes, and its job should go back to the queue now.
        stopping.abort(new Error('worker stopping'));
        await graphile.stop();
        await sweeping;
        await dispatcher.close();
      })();
      return stopped;
    },
  };
}

/** Graphile Worker's own log: warnings and errors go to `onError`, the chatter is dropped. */
function graphileLogger(onError: ((error: unknown) => void) | undefined): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') onError?.(new Error(`graphile-worker ${level}: ${message}`));
  });
}
