/**
 * A tenant's activity as events, for `GET /v1/events`: runs that start or end and sleep jobs that
 * change state. Found by polling the store rather than by hooks in this process, so the runs of
 * `sleeptime worker` processes elsewhere show too. One poller per tenant that has listeners,
 * whatever their number (a tab or ten cost the store the same), stopped with its last listener.
 *
 * Each poll reads the runs added since the last one (by their insertion order, re-reading a few
 * before it: on PostgreSQL an insert may commit after a later one) and the runs it saw running (to
 * see them end), and the jobs updated since the last poll (less a margin for clocks of other
 * processes). What it already reported in the same state is not reported again. The first poll of
 * a tenant only takes note: a client reads the current state itself, then follows the events.
 */
import type { Engine, JobRecord, RunRecord } from '@sleeptime/core';
import type { SleepJobs } from '../../jobs/sleep-triggers.js';

export type ActivityEvent = { type: 'run'; run: RunRecord } | { type: 'job'; job: JobRecord };

export type ActivityListener = (event: ActivityEvent) => void;

export interface ActivityFeed {
  /** Starts following the tenant whose stored ids start with `prefix`; returns the function that stops. */
  subscribe(prefix: string, listener: ActivityListener): () => void;
  /** Tenants polled now. */
  readonly pollers: number;
}

export interface ActivityFeedOptions {
  engine: Pick<Engine, 'runChanges'>;
  jobs: Pick<SleepJobs, 'changedSince'>;
  pollIntervalMs: number;
  now: () => number;
  /** A poll that failed (the store unreachable): logged, and the next poll tries again. */
  onError: (error: unknown) => void;
}

/** Runs re-read before the cursor each poll (inserts committed out of order). */
const runReorderMargin = 64;
/** Jobs re-read before the last poll's time: their times come from the clocks of the processes that wrote them. */
const jobClockMarginMs = 2000;
/** States remembered to report each change once; the oldest are forgotten first. */
const maxRemembered = 5000;
/** Running runs followed to their end at most. */
const maxWatchedRuns = 500;
const pageSize = 100;

function runSignature(run: RunRecord): string {
  return `${run.status}|${run.finishedAt?.getTime() ?? ''}|${run.usage.outputTokens}|${run.prefixWarmUp?.status ?? ''}`;
}

function jobSignature(job: JobRecord): string {
  return `${job.status}|${job.attempts}|${job.runAfter.getTime()}|${job.runId ?? ''}|${job.error?.code ?? ''}`;
}

export function createActivityFeed(options: ActivityFeedOptions): ActivityFeed {
  const pollers = new Map<string, { listeners: Set<ActivityListener>; stop(): void }>();

  function startPoller(prefix: string, listeners: Set<ActivityListener>) {
    let runCursor: number | undefined;
    let jobsSince = new Date(options.now() - jobClockMarginMs);
    const watched = new Set<string>();
    const remembered = new Map<string, string>();
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;

    /** True when `key` is new or changed since it was last remembered. */
    const changed = (key: string, signature: string) => {
      if (remembered.get(key) === signature) return false;
      remembered.delete(key);
      remembered.set(key, signature);
      if (remembered.size > maxRemembered) remembered.delete(remembered.keys().next().value as string);
      return true;
    };
    const emit = (event: ActivityEvent) => {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          options.onError(error);
        }
      }
    };

    async function poll(report: boolean) {
      const runs = await options.engine.runChanges({
        prefix,
        ...(runCursor === undefined ? {} : { after: Math.max(0, runCursor - runReorderMargin) }),
        ids: [...watched],
        limit: pageSize + runReorderMargin,
      });
      runCursor = runs.cursor;
      for (const run of runs.runs) {
        if (run.status === 'running') {
          if (watched.size < maxWatchedRuns) watched.add(run.id);
        } else watched.delete(run.id);
        if (changed(`run:${run.id}`, runSignature(run)) && report) emit({ type: 'run', run });
      }
      const jobs = await options.jobs.changedSince({ prefix, since: new Date(jobsSince.getTime() - jobClockMarginMs), limit: pageSize });
      for (const job of jobs) {
        if (job.updatedAt > jobsSince) jobsSince = job.updatedAt;
        if (changed(`job:${job.id}`, jobSignature(job)) && report) emit({ type: 'job', job });
      }
    }

    const loop = async (report: boolean) => {
      try {
        await poll(report);
      } catch (error) {
        options.onError(error);
      }
      if (!stopped) {
        timer = setTimeout(() => void loop(true), options.pollIntervalMs);
        // Polling alone never keeps the process alive.
        timer.unref();
      }
    };
    void loop(false);
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  return {
    subscribe(prefix, listener) {
      let entry = pollers.get(prefix);
      if (entry === undefined) {
        const listeners = new Set<ActivityListener>();
        entry = { listeners, ...startPoller(prefix, listeners) };
        pollers.set(prefix, entry);
      }
      entry.listeners.add(listener);
      const subscribed = entry;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        subscribed.listeners.delete(listener);
        if (subscribed.listeners.size === 0 && pollers.get(prefix) === subscribed) {
          subscribed.stop();
          pollers.delete(prefix);
        }
      };
    },
    get pollers() {
      return pollers.size;
    },
  };
}
