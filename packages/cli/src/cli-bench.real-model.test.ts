/**
 * `sleeptime bench` and `report` on a real instruct model (the real-model tier: see
 * @sleeptime/core/testing's describeWithRealModel), as real child processes: a 4-item grid over all
 * four conditions on a tiny Multi-Query fixture (two contexts, two queries each, so two sleep-time
 * runs), then the report. Mechanics and bounds only: the model is far too small to be right.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithRealModel } from '@sleeptime/core/testing';
import { parseJson, runCli, temporaryDirectory } from './cli-test-support.js';

const processTimeoutMs = 900_000;
const testTimeoutMs = 1_200_000;
const testMaxOutputTokens = 32;
const sleepMaxOutputTokens = 64;

const fixture = [
  { contextId: 'ana', id: 'ana-1', context: 'Ana buys 3 notebooks at $4 each.', query: 'How much does Ana pay?', answer: 12 },
  { contextId: 'ana', id: 'ana-2', context: 'Ana buys 3 notebooks at $4 each.', query: 'How many notebooks does Ana buy?', answer: 3 },
  { contextId: 'ben', id: 'ben-1', context: 'Ben has 5 apples and eats 2.', query: 'How many apples are left?', answer: 3 },
  { contextId: 'ben', id: 'ben-2', context: 'Ben has 5 apples and eats 2.', query: 'How many apples did Ben eat?', answer: 2 },
];

interface ResultRow {
  itemId: string;
  contextGroup: string;
  condition: string;
  samples?: number;
  final: number | null;
  testUsage: { inputTokens: number; outputTokens: number };
  sleepRunKey: string | null;
  sleepUsage: { outputTokens: number } | null;
  error?: { code: string; message: string };
}

describeWithRealModel('sleeptime bench and report on a real model', { describe, it }, (model) => {
  let directory: string;
  let dataPath: string;
  let gridPath: string;

  beforeAll(async () => {
    directory = await temporaryDirectory('bench-real-model');
    dataPath = path.join(directory, 'multi-query.jsonl');
    await writeFile(dataPath, fixture.map((row) => JSON.stringify(row)).join('\n') + '\n');
    gridPath = path.join(directory, 'grid.json');
    const grid = {
      conditions: ['test-time-only', 'sleep-time', 'context-only', 'pass-at-k'],
      testBudgets: [{ verbosity: 0 }],
      sleepBudgets: [{ parallel: 1 }],
      passAtK: [1],
      maxRewrites: 1,
      testMaxOutputTokens,
      sleepMaxOutputTokens,
    };
    await writeFile(gridPath, JSON.stringify(grid));
  });

  it(
    'runs every condition on every item within the grid\'s limits, one sleep-time run per context, then reports',
    async () => {
      const resultsPath = path.join(directory, 'results.jsonl');
      const env = { SLEEPTIME_MODEL: model.spec };
      const bench = parseJson<{ rows: number; written: number }>(
        await runCli(
          ['bench', '--data', dataPath, '--grid', gridPath, '--results', resultsPath, '--cache-dir', path.join(directory, 'cache'), '--concurrency', '1', '--json'],
          env,
          processTimeoutMs,
        ),
      );
      expect(bench).toMatchObject({ rows: 16, written: 16 });

      const rows = (await readFile(resultsPath, 'utf8'))
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as ResultRow);
      expect(rows).toHaveLength(16);
      const conditionsByItem = new Map<string, string[]>();
      for (const row of rows) conditionsByItem.set(row.itemId, [...(conditionsByItem.get(row.itemId) ?? []), row.condition].sort());
      for (const item of fixture) expect(conditionsByItem.get(item.id)).toEqual(['context-only', 'pass-at-k', 'sleep-time', 'test-time-only']);

      for (const row of rows) {
        const label = `${row.itemId} ${row.condition}`;
        expect(row.error, label).toBeUndefined();
        expect(row.testUsage.outputTokens, label).toBeGreaterThan(0);
        expect(row.testUsage.outputTokens, label).toBeLessThanOrEqual(testMaxOutputTokens * (row.samples ?? 1));
        expect(row.final === null || Number.isFinite(row.final), label).toBe(true);
      }
      // The queries on one context share its sleep-time run. One rewrite allowed: at most that call
      // and one more (a finish), each within the per-call limit.
      const sleepRows = rows.filter((row) => row.condition === 'sleep-time');
      const runKeyByContext = new Map(sleepRows.map((row) => [row.contextGroup, row.sleepRunKey]));
      expect(runKeyByContext.size).toBe(2);
      expect(new Set(sleepRows.map((row) => row.sleepRunKey)).size).toBe(2);
      for (const row of sleepRows) {
        expect(row.sleepRunKey).toBe(runKeyByContext.get(row.contextGroup));
        expect(row.sleepUsage?.outputTokens).toBeGreaterThan(0);
        expect(row.sleepUsage?.outputTokens).toBeLessThanOrEqual(2 * sleepMaxOutputTokens);
      }

      const reportDir = path.join(directory, 'report');
      const report = parseJson<{ htmlPath: string; figures: string[] }>(await runCli(['report', resultsPath, '--out', reportDir, '--json'], {}, processTimeoutMs));
      expect(report.figures.length).toBeGreaterThan(0);
      for (const figure of report.figures) expect(await readFile(figure, 'utf8'), figure).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
      const html = await readFile(report.htmlPath, 'utf8');
      for (const condition of ['test-time-only', 'sleep-time']) expect(html).toContain(condition);
    },
    testTimeoutMs,
  );
});
