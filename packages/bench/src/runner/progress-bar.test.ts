import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBenchProgressBar, formatCount, formatDuration } from './progress-bar.js';
import type { BenchProgress } from './run-bench.js';

function fakeStream(isTTY: boolean): Writable & { isTTY: boolean; columns: number; output: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written += chunk.toString();
      callback();
    },
  });
  return Object.assign(stream, { isTTY, columns: 200, output: () => written });
}

const progress: BenchProgress = {
  done: 12,
  total: 40,
  skipped: 2,
  correct: 9,
  errors: 1,
  testTokens: 12_345,
  sleepTokens: 987,
  modelCalls: 30,
  cachedCalls: 4,
  elapsedMs: 5000,
  etaMs: 125_000,
};

describe('the bench progress bar', () => {
  it('shows done/total, ETA, accuracy, tokens and calls on a terminal', () => {
    const stream = fakeStream(true);
    const bar = createBenchProgressBar({ stream });
    bar.update(progress);
    bar.stop();
    const text = stream.output();
    expect(text).toContain('12/40');
    expect(text).toContain('ETA 2m 05s');
    expect(text).toContain('accuracy 75.0%');
    expect(text).toContain('tokens test 12.3k sleep 987');
    expect(text).toContain('calls 30 (+4 cached)');
    expect(text).toContain('1 failed');
  });

  it('is silent when the stream is not a terminal, or when turned off', () => {
    for (const [stream, enabled] of [
      [fakeStream(false), undefined],
      [fakeStream(true), false],
    ] as const) {
      const bar = createBenchProgressBar({ stream, ...(enabled === undefined ? {} : { enabled }) });
      bar.update(progress);
      bar.stop();
      expect(stream.output()).toBe('');
    }
  });

  it('formats durations and counts', () => {
    expect(formatDuration(null)).toBe('?');
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(3_723_000)).toBe('1h 02m');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(4_560_000)).toBe('4.56M');
  });
});
