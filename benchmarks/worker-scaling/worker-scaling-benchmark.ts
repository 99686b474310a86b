/**
 * `npm run bench:workers`: sleep-job throughput on PostgreSQL with 1, 2 and 4 `sleeptime worker`
 * processes against a scripted upstream that answers every call after a fixed delay (issue 12: N
 * workers should reach at least 0.8 × N times the one-worker rate). See `scaling-run.ts` for one
 * run and `results-markdown.ts` for the method as it is written into BENCHMARKS.md.
 *
 * Progress goes to stderr, the Markdown section to stdout; the section also replaces (or is appended
 * as) "## Sleep-worker scaling on PostgreSQL" in BENCHMARKS.md unless `--no-write`.
 *
 * Options:
 *   --delay-ms 200            delay of every upstream call (a sleep job makes 3)
 *   --jobs 16                 sleep jobs per run (one tenant and context each)
 *   --rounds 3                rounds over all configurations (medians are taken over them)
 *   --workers 1,2,4           worker process counts
 *   --queues graphile,embedded
 *   --timeout-s 120           a run whose jobs are not all done by then fails
 *   --no-write                print the section only
 * PostgreSQL: SLEEPTIME_TEST_DATABASE_URL if set, else `scripts/start-test-postgres.sh` starts one.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPostgresTestLocation } from '@sleeptime/core/testing';
import type { JobQueueKind } from '@sleeptime/service';
import { forkBenchChild, type BenchChild } from '../service/bench-child-process.js';
import { writeBenchmarksSection } from '../shared/benchmarks-section.js';
import type { DelayedUpstreamConfig, DelayedUpstreamReady, DelayedUpstreamStats } from './delayed-upstream-process.js';
import { resultsMarkdown, sectionTitle } from './results-markdown.js';
import { runScalingRun, type ScalingRunResult } from './scaling-run.js';
import { summarizeScaling } from './scaling-summary.js';
import { testPostgresUrl } from './test-postgres.js';

interface Options {
  delayMs: number;
  jobs: number;
  rounds: number;
  workerCounts: number[];
  queues: JobQueueKind[];
  timeoutMs: number;
  write: boolean;
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      'delay-ms': { type: 'string' },
      jobs: { type: 'string' },
      rounds: { type: 'string' },
      workers: { type: 'string' },
      queues: { type: 'string' },
      'timeout-s': { type: 'string' },
      'no-write': { type: 'boolean' },
    },
  });
  const workerCounts = (values.workers ?? '1,2,4').split(',').map((value) => positiveInteger(value, '--workers', 1));
  if (!workerCounts.includes(1)) throw new Error('--workers must include 1: the ratios are to the one-worker rate');
  const queues = (values.queues ?? 'graphile,embedded').split(',').map((value) => value.trim());
  for (const queue of queues) if (queue !== 'graphile' && queue !== 'embedded') throw new Error(`--queues takes graphile, embedded; got "${queue}"`);
  return {
    delayMs: positiveInteger(values['delay-ms'], '--delay-ms', 200),
    jobs: positiveInteger(values.jobs, '--jobs', 16),
    rounds: positiveInteger(values.rounds, '--rounds', 3),
    workerCounts,
    queues: queues as JobQueueKind[],
    timeoutMs: positiveInteger(values['timeout-s'], '--timeout-s', 120) * 1000,
    write: values['no-write'] !== true,
  };
}

const startedAt = performance.now();
function progress(line: string): void {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const postgres = await testPostgresUrl();
  // Fails early, in one line, if the server cannot be reached or the role cannot create databases.
  await createPostgresTestLocation(postgres.url, 'bench_workers_check').then(
    (location) => location.remove(),
    (error: unknown) => {
      throw new Error(`could not create a database on PostgreSQL at ${new URL(postgres.url).host}: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  progress(`PostgreSQL at ${new URL(postgres.url).host}${postgres.version === undefined ? '' : ` (${postgres.version})`}`);

  const configurations = options.queues.flatMap((queue) => options.workerCounts.map((workers) => ({ queue, workers })));
  const runs: ScalingRunResult[] = [];
  let upstream: BenchChild<DelayedUpstreamReady> | undefined;
  try {
    const entry = fileURLToPath(new URL('./delayed-upstream-process.ts', import.meta.url));
    upstream = await forkBenchChild<DelayedUpstreamReady>(entry, { delayMs: options.delayMs } satisfies DelayedUpstreamConfig, 'upstream');
    const upstreamProcess = upstream;
    progress(`upstream (scripted, ${options.delayMs} ms a call, pid ${upstream.pid}) at ${upstream.ready.baseUrl}`);
    for (let round = 0; round < options.rounds; round += 1) {
      // Rotated every round, so no configuration always runs first or right after another.
      const order = configurations.map((_, index) => configurations[(index + round) % configurations.length]!);
      for (const { queue, workers } of order) {
        progress(`round ${round + 1}/${options.rounds}: ${queue} queue, ${workers} worker(s), ${options.jobs} jobs`);
        const run = await runScalingRun({
          serverUrl: postgres.url,
          upstreamBaseUrl: upstream.ready.baseUrl,
          upstream: {
            reset: () => upstreamProcess.request<void>('reset'),
            stats: () => upstreamProcess.request<DelayedUpstreamStats>('stats'),
          },
          queue,
          workers,
          jobs: options.jobs,
          timeoutMs: options.timeoutMs,
          progress,
        });
        runs.push(run);
        progress(
          `  ${run.jobsPerSecond.toFixed(2)} jobs/s (${run.seconds.toFixed(2)} s; jobs per worker ${run.jobsPerWorker.join('/')}; job ${Math.round(run.jobMs)} ms, first ${Math.round(run.firstJobMs)} ms; ` +
            `upstream peak ${run.upstream.peakInFlight} in flight, ${run.upstream.calls} calls)`,
        );
      }
    }
  } finally {
    await upstream?.stop();
  }

  const rows = summarizeScaling(runs, options.queues, options.workerCounts);
  const flags = process.argv.slice(2).filter((flag) => flag !== '--no-write');
  const section = resultsMarkdown(rows, {
    date: new Date().toISOString().slice(0, 10),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    nodeVersion: process.version,
    postgres: postgres.version,
    command: `npm run bench:workers${flags.length === 0 ? '' : ` -- ${flags.join(' ')}`}`,
    delayMs: options.delayMs,
    jobs: options.jobs,
    rounds: options.rounds,
    workerCounts: options.workerCounts,
    queues: options.queues,
    totalSeconds: (performance.now() - startedAt) / 1000,
  });
  process.stdout.write(section);
  if (options.write) progress(`wrote ${await writeBenchmarksSection(sectionTitle, section)}`);
}

main().catch((error: unknown) => {
  // One line (a failed job's message adds the workers' logs); SLEEPTIME_DEBUG=1 for the stack.
  const message = error instanceof Error ? (process.env.SLEEPTIME_DEBUG === '1' ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`worker-scaling benchmark failed: ${message}\n`);
  process.exitCode = 1;
});
