/**
 * A 2-item SWE-Features grid on a real instruct model (the real-model tier: see
 * @sleeptime/core/testing's describeWithRealModel), on the repository the tests build: both
 * conditions at a small step budget, with a repository sleep run per item. Mechanics and bounds
 * only (a 135M model does not implement features): every cell gets a row within its step budget and
 * output limits, each F1 is the arithmetic of its edited and gold files, the sleep runs are shared,
 * the repository and the temporary folder are left as they were, and a second run calls nothing.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, type SleeptimeModel } from '@sleeptime/core';
import { describeWithRealModel } from '@sleeptime/core/testing';
import { fileSetF1 } from '../datasets/swe-features/index.js';
import { runSweFeaturesBench } from './run-swe-features-bench.js';
import { buildFeatureRepository, type FeatureRepository } from './swe-features-bench-test-support.js';

const stepBudget = 2;
const testMaxOutputTokens = 64;
const sleepMaxOutputTokens = 128;
const maxRewrites = 1;
const sleepExplorationSteps = 1;
// Generous beside the suite's other real-model tests on 2 busy cores; alone it takes about 50 s.
const testTimeoutMs = 600_000;

describeWithRealModel('a SWE-Features grid on a real model', { describe, it }, (realModel) => {
  let fixture: FeatureRepository;
  let directory: string;
  let model: SleeptimeModel;

  beforeAll(async () => {
    [fixture, directory] = await Promise.all([buildFeatureRepository(), mkdtemp(path.join(os.tmpdir(), 'sleeptime-swe-real-'))]);
    model = await createModel(realModel.spec, { contextSize: 4096 });
  }, 120_000);

  afterAll(async () => {
    await model?.close();
    await fixture?.repository.remove();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  it(
    'ends every cell within its step budget and output limits, scores it from its diff, and leaves nothing behind',
    async () => {
      const worktreeDir = path.join(directory, 'worktrees');
      const options = {
        items: fixture.items,
        grid: { steps: [stepBudget], sleepBudgets: [{ parallel: 1 }], maxRewrites, sleepExplorationSteps, testMaxOutputTokens, sleepMaxOutputTokens },
        model,
        resultsPath: path.join(directory, 'results.jsonl'),
        cacheDir: path.join(directory, 'cache'),
        concurrency: 1,
        worktreeDir,
      };
      const startedAt = Date.now();
      const result = await runSweFeaturesBench(options);
      const elapsedMs = Date.now() - startedAt;
      console.log(`SWE-Features real-model grid: ${result.rows.length} rows in ${(elapsedMs / 1000).toFixed(1)} s`, JSON.stringify(result.rows.map((row) => [row.condition, row.stepsUsed, row.stopReason, row.editedFiles, row.testUsage.outputTokens, row.sleepUsage?.outputTokens, row.error?.code, row.truncatedBy])));

      expect(result).toMatchObject({ written: 4, skipped: 0 });
      expect(result.rows.map((row) => [row.itemId, row.condition])).toEqual([
        ['reports-csv', 'test-time-only'],
        ['reports-csv', 'sleep-time'],
        ['reports-json', 'test-time-only'],
        ['reports-json', 'sleep-time'],
      ]);
      for (const row of result.rows) {
        const label = `${row.itemId} ${row.condition}`;
        expect(row.error, label).toBeUndefined();
        expect(row.stepsUsed, label).toBeGreaterThanOrEqual(1);
        expect(row.stepsUsed, label).toBeLessThanOrEqual(stepBudget);
        expect(row.stopReason, label).not.toBeNull();
        expect(row.testUsage.outputTokens, label).toBeLessThanOrEqual(row.stepsUsed * testMaxOutputTokens);
        const score = fileSetF1(row.editedFiles, row.goldFiles);
        expect([row.precision, row.recall, row.f1], label).toEqual([score.precision, score.recall, score.f1]);
        expect(row.f1).toBeGreaterThanOrEqual(0);
        expect(row.f1).toBeLessThanOrEqual(1);
        if (row.condition === 'sleep-time') {
          // One rewrite and one exploration step allowed: at most rewrites + 5 + exploration calls, each within its limit.
          expect(row.sleepUsage?.outputTokens, label).toBeGreaterThan(0);
          expect(row.sleepUsage?.outputTokens, label).toBeLessThanOrEqual((maxRewrites + 5 + sleepExplorationSteps) * sleepMaxOutputTokens);
        } else {
          expect(row.sleepUsage, label).toBeNull();
        }
      }
      expect(new Set(result.rows.map((row) => row.sleepRunKey).filter((key) => key !== null)).size).toBe(2);

      // The user's repository is untouched and every worktree is gone.
      expect(await fixture.repository.git('status', '--porcelain')).toBe('');
      expect(await readdir(worktreeDir)).toEqual([]);

      // A second run has every row: nothing is called.
      const again = await runSweFeaturesBench(options);
      expect(again).toMatchObject({ written: 0, skipped: 4 });
    },
    testTimeoutMs,
  );
});
