/** From the runs of every round to one row per queue and worker count: medians, and the ratio to one worker. */
import type { JobQueueKind } from '@sleeptime/service';
import { median } from '../shared/latency-statistics.js';
import type { ScalingRunResult } from './scaling-run.js';

/** Issue 12's goal: N workers reach at least this share of N times the one-worker rate. */
export const scalingGoal = 0.8;

export interface ScalingRow {
  queue: JobQueueKind;
  workers: number;
  jobs: number;
  /** Median over rounds. */
  jobsPerSecond: number;
  /** Every round's rate, in round order. */
  roundJobsPerSecond: number[];
  /** Median over rounds of the time until the last job succeeded. */
  seconds: number;
  /** This row's median rate over the same queue's one-worker median rate; undefined without a one-worker row. */
  ratio: number | undefined;
  /** `scalingGoal` × workers. */
  goalRatio: number;
  goalMet: boolean | undefined;
  /** Fewest and most jobs one worker ran, over all rounds. */
  jobsPerWorker: { min: number; max: number };
  /** Medians over rounds of the per-round values. */
  jobMs: number;
  firstJobMs: number;
  enqueueMs: number;
  workerCpuMsPerJob: number | undefined;
  machineBusy: number | undefined;
  /** Most upstream calls in flight at once, over all rounds. */
  peakInFlight: number;
}

function medianOfDefined(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === values.length && defined.length > 0 ? median(defined) : undefined;
}

/** One row per queue and worker count, in the order `queues` × `workerCounts`. */
export function summarizeScaling(runs: readonly ScalingRunResult[], queues: readonly JobQueueKind[], workerCounts: readonly number[]): ScalingRow[] {
  const rows: ScalingRow[] = [];
  for (const queue of queues) {
    const rateOf = (workers: number) => {
      const rates = runs.filter((run) => run.queue === queue && run.workers === workers).map((run) => run.jobsPerSecond);
      return rates.length === 0 ? undefined : median(rates);
    };
    const oneWorker = rateOf(1);
    for (const workers of workerCounts) {
      const own = runs.filter((run) => run.queue === queue && run.workers === workers);
      if (own.length === 0) continue;
      const jobsPerSecond = median(own.map((run) => run.jobsPerSecond));
      const ratio = oneWorker === undefined ? undefined : jobsPerSecond / oneWorker;
      const goalRatio = scalingGoal * workers;
      const perWorker = own.flatMap((run) => run.jobsPerWorker);
      rows.push({
        queue,
        workers,
        jobs: own[0]!.jobs,
        jobsPerSecond,
        roundJobsPerSecond: own.map((run) => run.jobsPerSecond),
        seconds: median(own.map((run) => run.seconds)),
        ratio,
        goalRatio,
        goalMet: ratio === undefined ? undefined : ratio >= goalRatio,
        jobsPerWorker: { min: Math.min(...perWorker), max: Math.max(...perWorker) },
        jobMs: median(own.map((run) => run.jobMs)),
        firstJobMs: median(own.map((run) => run.firstJobMs)),
        enqueueMs: median(own.map((run) => run.enqueueMs)),
        workerCpuMsPerJob: medianOfDefined(own.map((run) => run.workerCpuMsPerJob)),
        machineBusy: medianOfDefined(own.map((run) => run.machineBusy)),
        peakInFlight: Math.max(...own.map((run) => run.upstream.peakInFlight)),
      });
    }
  }
  return rows;
}
