/**
 * The benchmark never generates without a bound: without grid limits every call carries the
 * engine's defaults (by verbosity for answers, per call for the sleep-time agent), and an answer a
 * limit cut short is marked on its row and counted in the report's headline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel, defaultAskMaxOutputTokens, defaultSleepCallMaxOutputTokens } from '@sleeptime/core';
import { startScriptedOpenAIServer } from '@sleeptime/core/testing';
import { truncationCounts } from '../analysis/summary.js';
import { readResultsFile } from './results-file.js';
import { runBench } from './run-bench.js';
import { benchTestItems, createBenchScript, describeBenchRequest, standardBenchAnswer } from './runner-test-support.js';

let root: string | undefined;
afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('runBench bounds', () => {
  it('sends default output limits and marks answers cut by a limit', async () => {
    root = await mkdtemp(join(tmpdir(), 'sleeptime-bench-bounds-'));
    const { script } = createBenchScript({
      answer: standardBenchAnswer,
      // Terse answers (verbosity 0) are cut off by the limit; the others finish.
      override: (info) => (info.kind !== 'sleep' && info.user.startsWith('Answer with exactly one sentence') ? { text: 'Counting: 3 and', finishReason: 'length' } : undefined),
    });
    const server = await startScriptedOpenAIServer(script);
    try {
      const model = await createModel('openai-compatible:scripted', { baseUrl: server.baseUrl, env: {}, retry: { maxAttempts: 1 } });
      const resultsPath = join(root, 'results.jsonl');
      await runBench({
        items: benchTestItems,
        model,
        grid: { testBudgets: { verbosity: [0, 3] }, sleepBudgets: { parallel: [1] }, conditions: ['test-time-only', 'sleep-time'] },
        resultsPath,
        cacheDir: join(root, 'cache'),
        concurrency: 2,
      });
      const limits = server.requests.map((request) => request.body.max_tokens);
      expect(limits.every((limit) => typeof limit === 'number')).toBe(true);
      const limitsOf = (kind: string) => new Set(server.requests.filter((request) => describeBenchRequest(request).kind === kind).map((request) => request.body.max_tokens));
      expect(limitsOf('sleep')).toEqual(new Set([defaultSleepCallMaxOutputTokens]));
      expect(limitsOf('ask')).toEqual(
        new Set([defaultAskMaxOutputTokens[0], defaultAskMaxOutputTokens[3]]),
      );

      const { rows } = await readResultsFile(resultsPath);
      const terse = rows.filter((row) => row.testBudget.verbosity === 0);
      expect(terse.length).toBeGreaterThan(0);
      for (const row of terse) expect(row).toMatchObject({ truncatedBy: 'max-output-tokens', correct: false });
      for (const row of rows.filter((row) => row.testBudget.verbosity === 3)) expect(row.truncatedBy).toBeUndefined();
      expect(truncationCounts(rows)).toEqual([{ limit: 'max-output-tokens', count: terse.length }]);
    } finally {
      await server.close();
    }
  });
});
