/**
 * `npm run bench:service`: what the HTTP service costs on top of its model, measured against a
 * scripted local upstream that answers at once (so only the service is timed):
 * 1. per-ask overhead of the ask endpoint and the OpenAI-compatible proxy against direct calls to
 *    the same upstream (p50, p99), interleaved;
 * 2. asks per second with 1..N concurrent clients on the embedded SQLite store;
 * 3. how many sleep runs bursts and spaced series of writes produce (debounce and coalescing).
 *
 * Progress goes to stderr; the Markdown results section (for BENCHMARKS.md) to stdout.
 *
 * Options (flags, or the environment variable in brackets):
 *   --iterations 1000     measured overhead iterations (5 calls each) [SLEEPTIME_BENCH_ITERATIONS]
 *   --warmup 100          overhead warm-up iterations
 *   --seconds 4           length of one throughput run [SLEEPTIME_BENCH_SECONDS]
 *   --rounds 3            throughput rounds over all concurrency levels
 *   --concurrency 1,4,16  throughput concurrency levels
 *   --quiet-period-ms 200 quiet period of the trigger scenarios
 *   --only overhead,throughput,triggers
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { forkBenchChild, type BenchChild } from './bench-child-process.js';
import { benchContextId, benchContextText } from './bench-fixtures.js';
import { createBenchModel } from './bench-service.js';
import { runOverheadBenchmark } from './overhead-benchmark.js';
import { resultsMarkdown, type BenchmarkResults } from './results-markdown.js';
import { createServiceClient } from './service-client.js';
import type { ServiceReady } from './service-process.js';
import { runThroughputBenchmark } from './throughput-benchmark.js';
import { defaultTriggerScenarios, runTriggerBenchmark } from './trigger-coalescing-benchmark.js';
import type { UpstreamReady } from './upstream-process.js';

const parts = ['overhead', 'throughput', 'triggers'] as const;
type Part = (typeof parts)[number];

interface BenchOptions {
  iterations: number;
  warmup: number;
  seconds: number;
  rounds: number;
  concurrencies: number[];
  quietPeriodMs: number;
  only: Set<Part>;
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      iterations: { type: 'string' },
      warmup: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      concurrency: { type: 'string' },
      'quiet-period-ms': { type: 'string' },
      only: { type: 'string' },
    },
  });
  const only = new Set((values.only ?? parts.join(',')).split(',').map((part) => part.trim()));
  for (const part of only) if (!(parts as readonly string[]).includes(part)) throw new Error(`--only takes ${parts.join(', ')}; got "${part}"`);
  return {
    iterations: positiveInteger(values.iterations ?? process.env.SLEEPTIME_BENCH_ITERATIONS, '--iterations', 1000),
    warmup: positiveInteger(values.warmup, '--warmup', 100),
    seconds: positiveInteger(values.seconds ?? process.env.SLEEPTIME_BENCH_SECONDS, '--seconds', 4),
    rounds: positiveInteger(values.rounds, '--rounds', 3),
    concurrencies: (values.concurrency ?? '1,4,16').split(',').map((value) => positiveInteger(value, '--concurrency', 1)),
    quietPeriodMs: positiveInteger(values['quiet-period-ms'], '--quiet-period-ms', 200),
    only: only as Set<Part>,
  };
}

const startedAt = performance.now();
function progress(line: string): void {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

function childEntry(file: string): string {
  return fileURLToPath(new URL(file, import.meta.url));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const results: BenchmarkResults = {
    run: {
      date: new Date().toISOString().slice(0, 10),
      cores: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
      nodeVersion: process.version,
      command: ['npm run bench:service', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      iterations: options.iterations,
      warmup: options.warmup,
      rounds: options.rounds,
      seconds: options.seconds,
      warmupSeconds: 2,
      quietPeriodMs: options.quietPeriodMs,
      totalSeconds: 0,
    },
  };

  const dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-bench-service-'));
  let upstream: BenchChild<UpstreamReady> | undefined;
  let service: BenchChild<ServiceReady> | undefined;
  try {
    upstream = await forkBenchChild<UpstreamReady>(childEntry('./upstream-process.ts'), {}, 'upstream');
    const upstreamProcess = upstream;
    progress(`upstream (scripted, pid ${upstream.pid}) at ${upstream.ready.baseUrl}`);

    if (options.only.has('overhead') || options.only.has('throughput')) {
      // The service's own quiet period stays at the default (30 s): nothing is written while asks are timed.
      service = await forkBenchChild<ServiceReady>(childEntry('./service-process.ts'), { dataDir, upstreamBaseUrl: upstream.ready.baseUrl }, 'service');
      const serviceProcess = service;
      progress(`service (pid ${service.pid}) at ${service.ready.url}, SQLite in ${dataDir}`);
      const client = createServiceClient(service.ready.url, service.ready.apiKey);
      await client.put(benchContextId, benchContextText);
      const sleepStatus = await client.sleepAndWait(benchContextId);
      if (sleepStatus !== 'succeeded') throw new Error(`the set-up sleep run ${sleepStatus}`);
      progress('context put and slept on: asks have a fresh learned context');

      if (options.only.has('overhead')) {
        const model = await createBenchModel(upstream.ready.baseUrl);
        results.overhead = await runOverheadBenchmark({
          iterations: options.iterations,
          warmup: options.warmup,
          client,
          model,
          upstreamBaseUrl: upstream.ready.baseUrl,
          upstreamRecentBodies: () => upstreamProcess.request<string[]>('recent-bodies'),
          progress,
        });
      }
      if (options.only.has('throughput')) {
        results.throughput = await runThroughputBenchmark({
          concurrencies: options.concurrencies,
          rounds: options.rounds,
          seconds: options.seconds,
          warmupSeconds: results.run.warmupSeconds,
          client,
          serviceCpuMs: () => serviceProcess.request<number>('cpu-ms'),
          upstreamCpuMs: () => upstreamProcess.request<number>('cpu-ms'),
          progress,
        });
      }
      await service.stop();
      service = undefined;
    }

    if (options.only.has('triggers')) {
      results.triggers = await runTriggerBenchmark({
        scenarios: defaultTriggerScenarios(options.quietPeriodMs),
        quietPeriodMs: options.quietPeriodMs,
        upstreamBaseUrl: upstream.ready.baseUrl,
        progress,
      });
    }
  } finally {
    await service?.stop();
    await upstream?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }

  results.run.totalSeconds = (performance.now() - startedAt) / 1000;
  progress('done');
  process.stdout.write(resultsMarkdown(results));
}

main().catch((error: unknown) => {
  process.stderr.write(`service benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
