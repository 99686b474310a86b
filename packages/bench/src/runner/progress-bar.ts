/**
 * A progress bar for `runBench` (and the SWE-Features runner) on stderr: rows done of total, ETA, accuracy (mean F1) so far, generated tokens
 * (test and sleep time) and model calls made versus answered from the cache. Silent when the stream
 * is not a terminal (logs, pipes, CI): the runner's `onProgress` fires all the same.
 */
import cliProgress from 'cli-progress';
import type { BenchProgress } from './run-bench.js';

export interface BenchProgressBar {
  update(progress: BenchProgress): void;
  stop(): void;
}

export interface BenchProgressBarOptions {
  /** Default: process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default: whether the stream is a terminal (off for `--json` runs, say). */
  enabled?: boolean;
}

/** `1h 02m`, `3m 07s`, `12s`; `?` while unknown. */
export function formatDuration(milliseconds: number | null): string {
  if (milliseconds === null || !Number.isFinite(milliseconds)) return '?';
  const seconds = Math.round(milliseconds / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** `950`, `12.3k`, `4.56M`. */
export function formatCount(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(1)}k`;
  return `${(count / 1_000_000).toFixed(2)}M`;
}

function payload(progress: BenchProgress): Record<string, string> {
  return {
    // The runner's ETA, from this run's pace: cli-progress's own {eta} would count skipped rows as done now.
    remaining: formatDuration(progress.etaMs),
    metric: progress.metric ?? 'accuracy',
    accuracy: progress.done === 0 ? '-' : `${((100 * progress.correct) / progress.done).toFixed(1)}%`,
    testTokens: formatCount(progress.testTokens),
    sleepTokens: formatCount(progress.sleepTokens),
    calls: formatCount(progress.modelCalls),
    cached: formatCount(progress.cachedCalls),
    errors: progress.errors === 0 ? '' : ` | ${progress.errors} failed`,
  };
}

export function createBenchProgressBar(options: BenchProgressBarOptions = {}): BenchProgressBar {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? stream.isTTY === true;
  if (!enabled) return { update() {}, stop() {} };

  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        ' bench [{bar}] {value}/{total} | ETA {remaining} | {metric} {accuracy} | tokens test {testTokens} sleep {sleepTokens} | calls {calls} (+{cached} cached){errors}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      if (!started) {
        bar.start(progress.total, progress.done, payload(progress));
        started = true;
      } else {
        bar.setTotal(progress.total);
        bar.update(progress.done, payload(progress));
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
