/**
 * When sleep jobs are enqueued: after a quiet period following a context write (debounced and
 * coalesced per context), every N asks or appended turns, and on demand. All go through one
 * coalescing key per context, so a burst of triggers makes one pending job.
 */
import { randomUUID } from 'node:crypto';
import { SleeptimeError, type JobRecord, type JobRepository, type TriggerCounterKind } from '@sleeptime/core';

import { defaultQuietPeriodMs } from './job-defaults.js';

export { defaultQuietPeriodMs };

export interface SleepTriggerOptions {
  jobs: JobRepository;
  /** How long a context must stay unwritten before its sleep job is due (default 30 s). */
  quietPeriodMs?: number;
  /** Enqueue a job due now every this many asks of a context (0 or absent: off). */
  everyAsks?: number;
  /** Enqueue a job due now every this many appended turns of a context (0 or absent: off). */
  everyAppends?: number;
  /** Attempts per job (default 3). */
  maxAttempts?: number;
  now?: () => Date;
  /** Called (and awaited) after every enqueue, e.g. to wake the worker or dispatch the job. */
  onEnqueued?: (job: JobRecord) => void | Promise<void>;
}

export interface SleepTriggers {
  /** After a put or an append: (re)starts the context's quiet period, or makes it due now every N appends. */
  afterWrite(contextId: string, write: 'put' | 'append'): Promise<JobRecord>;
  /** After an ask: every N asks, a job due now. Undefined when no job was enqueued. */
  afterAsk(contextId: string): Promise<JobRecord | undefined>;
  /** A job due now, with the given sleep options; its first run gets a pre-assigned id (`runId`). */
  onDemand(contextId: string, payload?: Record<string, unknown>): Promise<JobRecord>;
}

export function sleepCoalesceKey(contextId: string): string {
  return `sleep:${contextId}`;
}

export function createSleepTriggers(options: SleepTriggerOptions): SleepTriggers {
  const now = options.now ?? (() => new Date());
  const quietPeriodMs = options.quietPeriodMs ?? defaultQuietPeriodMs;
  async function enqueue(contextId: string, runAfter: Date, extra: { payload?: Record<string, unknown>; runId?: string } = {}) {
    const { job } = await options.jobs.enqueue({
      kind: 'sleep',
      contextId,
      coalesceKey: sleepCoalesceKey(contextId),
      runAfter,
      now: now(),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(extra.payload === undefined ? {} : { payload: extra.payload }),
      ...(extra.runId === undefined ? {} : { runId: extra.runId }),
    });
    await options.onEnqueued?.(job);
    return job;
  }

  /** True every `every`-th time for the context; counted in the store (durable, shared by servers). */
  async function countReaches(contextId: string, kind: TriggerCounterKind, every: number | undefined): Promise<boolean> {
    if (every === undefined || every <= 0) return false;
    const count = await options.jobs.countTrigger({ contextId, kind });
    return count % every === 0;
  }

  return {
    async afterWrite(contextId, write) {
      const dueNow = write === 'append' && (await countReaches(contextId, 'appends', options.everyAppends));
      return enqueue(contextId, new Date(now().getTime() + (dueNow ? 0 : quietPeriodMs)));
    },
    async afterAsk(contextId) {
      // Counted once the ask is answered; a context deleted meanwhile has nothing left to sleep on.
      try {
        if (!(await countReaches(contextId, 'asks', options.everyAsks))) return undefined;
        return await enqueue(contextId, now());
      } catch (error) {
        if (SleeptimeError.isInstance(error) && error.code === 'context_not_found') return undefined;
        throw error;
      }
    },
    onDemand(contextId, payload) {
      return enqueue(contextId, now(), { ...(payload === undefined ? {} : { payload }), runId: randomUUID() });
    },
  };
}

/** The jobs door of the HTTP API: the triggers, and the lookups its job and run routes need. */
export interface SleepJobs extends SleepTriggers {
  get(jobId: string): Promise<JobRecord | undefined>;
  /** The job whose next (or latest) run has this id: a run requested on demand has its id before it starts. */
  findByRunId(runId: string): Promise<JobRecord | undefined>;
  /** A context's jobs, newest first, at most `limit`. */
  listForContext(contextId: string, options: { limit: number }): Promise<JobRecord[]>;
  /** Jobs of contexts under `prefix` (a tenant's) updated at or after `since`, oldest change first, at most `limit`. */
  changedSince(input: { prefix: string; since: Date; limit?: number }): Promise<JobRecord[]>;
}

export function createSleepJobs(options: SleepTriggerOptions): SleepJobs {
  return {
    ...createSleepTriggers(options),
    get: (jobId) => options.jobs.get(jobId),
    findByRunId: (runId) => options.jobs.findByRunId(runId),
    listForContext: (contextId, { limit }) => options.jobs.list(contextId, { limit }),
    changedSince: (input) => options.jobs.changedSince(input),
  };
}
