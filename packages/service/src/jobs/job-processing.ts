/**
 * Who runs sleep jobs, chosen once per process: the embedded queue (workers polling the store's job
 * table; SQLite's default, and it also works on PostgreSQL) or Graphile Worker (PostgreSQL's
 * default: deliveries to any number of `sleeptime worker` processes). `sleeptime serve` and
 * `sleeptime worker` both start one; a server with no workers of its own only enqueues and delivers.
 */
import { systemError, userError, errorMessage } from '@sleeptime/core';
import type { Engine } from '@sleeptime/core';
import type { JobRecord, Store } from '@sleeptime/core';
import type { GraphileSleepWorker, SleepJobDispatcher } from './graphile-queue.js';
import type { JobOutcome } from './job-runner.js';
import { createJobWorker, type JobWorker } from './job-worker.js';

export type JobQueueKind = 'embedded' | 'graphile';

export interface SleepJobProcessingOptions {
  store: Store;
  engine: Pick<Engine, 'sleep' | 'getRun' | 'abandonRun'>;
  /** Default: `graphile` on PostgreSQL, `embedded` on SQLite. */
  queue?: JobQueueKind;
  /** The PostgreSQL URL of the store; needed by `graphile`. */
  connectionString?: string;
  /** Sleep jobs this process runs at once; 0 runs none here (workers elsewhere do). */
  workers: number;
  leaseMs?: number;
  jobTimeoutMs?: number;
  /** Sleep jobs of one tenant running at once across all workers on the store (default 1; 0: no cap). */
  maxSleepsPerTenant?: number;
  /** Sleep-time tokens one tenant's sleeps may spend a UTC day (default 2,000,000; 0: no limit); past it, jobs wait for the next day. */
  maxSleepTokensPerTenantPerDay?: number;
  onJobSettled?: (outcome: JobOutcome) => void;
  onError?: (error: unknown) => void;
}

export interface SleepJobProcessing {
  readonly queue: JobQueueKind;
  /** Rejects if the job processing fails for good (Graphile Worker's runner died); never settles otherwise. */
  readonly failure: Promise<never>;
  /** Pass to the sleep triggers: wakes the local workers or delivers the job through Graphile Worker. */
  onEnqueued(job: JobRecord): Promise<void>;
  stop(): Promise<void>;
}

export function defaultJobQueue(store: Pick<Store, 'kind'>): JobQueueKind {
  return store.kind === 'postgres' ? 'graphile' : 'embedded';
}

export async function startSleepJobProcessing(options: SleepJobProcessingOptions): Promise<SleepJobProcessing> {
  const queue = options.queue ?? defaultJobQueue(options.store);
  const shared = {
    store: options.store,
    engine: options.engine,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.jobTimeoutMs === undefined ? {} : { jobTimeoutMs: options.jobTimeoutMs }),
    ...(options.maxSleepsPerTenant === undefined ? {} : { maxSleepsPerTenant: options.maxSleepsPerTenant }),
    ...(options.maxSleepTokensPerTenantPerDay === undefined ? {} : { maxSleepTokensPerTenantPerDay: options.maxSleepTokensPerTenantPerDay }),
    ...(options.onJobSettled === undefined ? {} : { onJobSettled: options.onJobSettled }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  };

  if (queue === 'embedded') {
    const workers: JobWorker[] = [];
    const wakeAll = () => {
      for (const worker of workers) worker.wake();
    };
    for (let index = 0; index < options.workers; index += 1) workers.push(createJobWorker({ ...shared, onEnqueued: wakeAll }));
    for (const worker of workers) worker.start();
    return {
      queue,
      failure: new Promise<never>(() => undefined),
      async onEnqueued() {
        wakeAll();
      },
      async stop() {
        await Promise.all(workers.map((worker) => worker.stop()));
      },
    };
  }

  if (options.store.kind !== 'postgres' || options.connectionString === undefined) {
    throw userError('postgres_required', 'The graphile job queue needs the PostgreSQL store: pass --database-url postgres://... (or use --queue embedded)');
  }
  const connectionString = options.connectionString;
  // Loaded here: Graphile Worker is needed only by the graphile queue.
  const { createGraphileDispatcher, startGraphileSleepWorker } = await import('./graphile-queue.js');
  const dispatcher: SleepJobDispatcher = await createGraphileDispatcher({ connectionString, ...(options.onError === undefined ? {} : { onError: options.onError }) });
  let worker: GraphileSleepWorker | undefined;
  try {
    if (options.workers > 0) worker = await startGraphileSleepWorker({ ...shared, connectionString, concurrency: options.workers });
  } catch (error) {
    await dispatcher.close();
    throw error;
  }
  const failure = new Promise<never>((_, reject) => {
    worker?.finished.then(
      () => undefined,
      (error: unknown) => reject(systemError('queue_failed', `Graphile Worker stopped: ${errorMessage(error)}`, error)),
    );
  });
  // Observed here so an unwatched failure is not an unhandled rejection.
  failure.catch(() => undefined);
  return {
    queue,
    failure,
    async onEnqueued(job) {
      try {
        await dispatcher.dispatch(job);
      } catch (error) {
        // The job is in the store: the workers' sweep delivers it once its grace period is over.
        options.onError?.(error);
      }
    },
    async stop() {
      // Idempotent: both pieces settle once.
      await worker?.stop();
      await dispatcher.close();
    },
  };
}
