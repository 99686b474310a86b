import { describe, expect, it } from 'vitest';
import { summarizeScaling } from './scaling-summary.js';
import type { ScalingRunResult } from './scaling-run.js';

function run(queue: 'graphile' | 'embedded', workers: number, jobsPerSecond: number, jobsPerWorker: number[]): ScalingRunResult {
  return {
    queue,
    workers,
    jobs: 16,
    seconds: 16 / jobsPerSecond,
    jobsPerSecond,
    enqueueMs: 50,
    jobsPerWorker,
    jobMs: 630,
    firstJobMs: 900,
    workerCpuMsPerJob: 20,
    machineBusy: 0.5,
    upstream: { calls: 48, peakInFlight: workers },
  };
}

describe('summarizeScaling', () => {
  it('takes medians over rounds and compares each worker count with the same queue’s one-worker median', () => {
    const rows = summarizeScaling(
      [
        run('graphile', 1, 1.5, [16]),
        run('graphile', 1, 1.4, [16]),
        run('graphile', 1, 1.6, [16]),
        run('graphile', 2, 2.9, [8, 8]),
        run('graphile', 2, 3.1, [9, 7]),
        run('graphile', 2, 3.0, [8, 8]),
        run('graphile', 4, 4.0, [4, 4, 4, 4]),
        run('graphile', 4, 4.9, [5, 3, 4, 4]),
        run('graphile', 4, 4.5, [4, 4, 4, 4]),
        run('embedded', 1, 1.0, [16]),
        run('embedded', 4, 3.3, [4, 4, 4, 4]),
      ],
      ['graphile', 'embedded'],
      [1, 2, 4],
    );
    expect(rows.map((row) => [row.queue, row.workers, row.jobsPerSecond, row.ratio?.toFixed(2), row.goalRatio.toFixed(1), row.goalMet])).toEqual([
      ['graphile', 1, 1.5, '1.00', '0.8', true],
      ['graphile', 2, 3.0, '2.00', '1.6', true],
      // 4.5 / 1.5 = 3.0 < 3.2: missed, although one round reached 4.9.
      ['graphile', 4, 4.5, '3.00', '3.2', false],
      ['embedded', 1, 1.0, '1.00', '0.8', true],
      ['embedded', 4, 3.3, '3.30', '3.2', true],
    ]);
    expect(rows[1]?.roundJobsPerSecond).toEqual([2.9, 3.1, 3.0]);
    expect(rows[1]?.jobsPerWorker).toEqual({ min: 7, max: 9 });
    expect(rows[2]?.peakInFlight).toBe(4);
  });

  it('has no ratio for a queue without a one-worker run', () => {
    const [row] = summarizeScaling([run('embedded', 2, 3, [8, 8])], ['embedded'], [1, 2]);
    expect(row).toMatchObject({ workers: 2, ratio: undefined, goalMet: undefined });
  });
});
