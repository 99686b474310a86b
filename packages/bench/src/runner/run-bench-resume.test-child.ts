/**
 * The benchmark run of the resume test, as a separate process the test can kill with SIGKILL:
 * `node --import tsx run-bench-resume.test-child.ts '<json>'` with `{ baseUrl, resultsPath, cacheDir,
 * grid, concurrency }`. Runs the test items against the scripted server at `baseUrl`.
 */
import { createModel } from '@sleeptime/core';
import type { GridSpecInput } from './grid.js';
import { runBench } from './run-bench.js';
import { benchTestItems } from './runner-test-support.js';

interface ChildConfig {
  baseUrl: string;
  resultsPath: string;
  cacheDir: string;
  grid: GridSpecInput;
  concurrency: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
// A held request must stay held until the kill, not time out and be retried.
const model = await createModel('openai-compatible:scripted', { baseUrl: config.baseUrl, env: {}, retry: { maxAttempts: 1, timeoutMs: 0 } });
const result = await runBench({
  items: benchTestItems,
  grid: config.grid,
  model,
  resultsPath: config.resultsPath,
  cacheDir: config.cacheDir,
  concurrency: config.concurrency,
});
process.stdout.write(`${JSON.stringify({ written: result.written, skipped: result.skipped })}\n`);
