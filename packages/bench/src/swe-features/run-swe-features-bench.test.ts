/**
 * The SWE-Features runner on a repository the test builds (two feature commits), with a scripted
 * model that plays the repository sleep-time agent and the coding agent: the grid (step budgets x
 * with and without notes), the F1 of each cell against its gold files, the step budget each call
 * saw, one sleep run per item shared by its cells, tokens per phase, resume without a model call,
 * failed cells, and items whose repository moved.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upstreamError } from '@sleeptime/core';
import { sleeptimeErrorOf, testModel } from '@sleeptime/core/testing';
import { writeJsonl } from '../datasets/jsonl.js';
import { readResultsFile } from '../runner/results-file.js';
import { runSweFeaturesBench } from './run-swe-features-bench.js';
import { buildFeatureRepository, csvPlan, jsonPlan, policyModel, type FeatureRepository } from './swe-features-bench-test-support.js';
import { loadSweFeaturesItems } from './swe-features-items.js';
import { readResultsKind, sweFeaturesResultRowFormat, type SweFeaturesResultRow } from './swe-features-result-row.js';

let fixture: FeatureRepository;
let directory: string;

beforeAll(async () => {
  fixture = await buildFeatureRepository();
});
afterAll(async () => {
  await fixture.repository.remove();
});
beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-swe-bench-'));
  return () => rm(directory, { recursive: true, force: true });
});

const grid = { steps: [2, 5], sleepBudgets: [{ parallel: 1 }], maxRewrites: 2, sleepExplorationSteps: 3 };
const plans = { 'Add CSV export': csvPlan, 'Add JSON export': jsonPlan };

function run(model: ReturnType<typeof policyModel>, overrides: Partial<Parameters<typeof runSweFeaturesBench>[0]> = {}) {
  return runSweFeaturesBench({
    items: fixture.items,
    grid,
    model: testModel(model.model),
    resultsPath: path.join(directory, 'results.jsonl'),
    cacheDir: path.join(directory, 'cache'),
    concurrency: 2,
    ...overrides,
  });
}

const cell = (rows: SweFeaturesResultRow[], itemId: string, condition: string, stepBudget: number) => {
  const row = rows.find((one) => one.itemId === itemId && one.condition === condition && one.stepBudget === stepBudget);
  if (row === undefined) throw new Error(`no row ${itemId} ${condition} ${stepBudget}`);
  return row;
};

describe('a grid of step budgets with and without notes', () => {
  it('scores each cell by the F1 of the files its agent changed against the gold files', async () => {
    const model = policyModel({ plans });
    const result = await run(model);
    expect(result).toMatchObject({ written: 8, skipped: 0, provenance: { kind: 'scripted' } });
    const { rows } = result;
    expect(rows.map((row) => [row.itemId, row.condition, row.stepBudget])).toEqual([
      ['reports-csv', 'test-time-only', 2],
      ['reports-csv', 'test-time-only', 5],
      ['reports-csv', 'sleep-time', 2],
      ['reports-csv', 'sleep-time', 5],
      ['reports-json', 'test-time-only', 2],
      ['reports-json', 'test-time-only', 5],
      ['reports-json', 'sleep-time', 2],
      ['reports-json', 'sleep-time', 5],
    ]);

    // CSV: two steps of looking around are not enough without notes; five are, and so are two with notes.
    expect(cell(rows, 'reports-csv', 'test-time-only', 2)).toMatchObject({ stepsUsed: 2, stopReason: 'step-limit', editedFiles: [], precision: 0, recall: 0, f1: 0 });
    expect(cell(rows, 'reports-csv', 'test-time-only', 5)).toMatchObject({ stepsUsed: 5, stopReason: 'done', editedFiles: ['src/export/csv.ts', 'src/index.ts'], f1: 1 });
    expect(cell(rows, 'reports-csv', 'sleep-time', 2)).toMatchObject({ stepsUsed: 2, stopReason: 'done', f1: 1, precision: 1, recall: 1 });
    expect(cell(rows, 'reports-csv', 'sleep-time', 5)).toMatchObject({ stepsUsed: 2, stopReason: 'done', f1: 1 });
    // JSON: the gold set is docs/legacy.md (deleted), src/cli.ts, src/export/json.ts, src/index.ts.
    expect(fixture.items[1].goldFiles).toEqual(['docs/legacy.md', 'src/cli.ts', 'src/export/json.ts', 'src/index.ts']);
    const jsonShort = cell(rows, 'reports-json', 'test-time-only', 2);
    expect(jsonShort).toMatchObject({ stepsUsed: 2, stopReason: 'step-limit', editedFiles: ['src/export/json.ts'], precision: 1, recall: 0.25 });
    expect(jsonShort.f1).toBeCloseTo(0.4, 12);
    for (const row of [cell(rows, 'reports-json', 'test-time-only', 5), cell(rows, 'reports-json', 'sleep-time', 2), cell(rows, 'reports-json', 'sleep-time', 5)]) {
      expect(row.editedFiles).toEqual(['README.md', 'docs/legacy.md', 'src/export/json.ts']);
      expect(row.precision).toBeCloseTo(2 / 3, 12);
      expect(row.recall).toBeCloseTo(1 / 2, 12);
      expect(row.f1).toBeCloseTo(4 / 7, 12);
    }
    expect(cell(rows, 'reports-json', 'sleep-time', 2)).toMatchObject({ stepsUsed: 2, stopReason: 'done', toolCalls: 3, failedToolCalls: 0 });
    for (const row of rows) {
      expect(row).toMatchObject({ benchmark: 'swe-features', dataset: 'swe-features', repositoryName: 'reports', goldFiles: fixture.items.find((item) => item.id === row.itemId)?.goldFiles });
      expect(row.error).toBeUndefined();
    }
  });

  it('shows each coding call its step against the cell\'s budget, and never calls past it', async () => {
    const model = policyModel({ plans });
    const { rows } = await run(model);
    const coding = model.calls.filter((call) => call.agent === 'coding');
    for (const call of coding) {
      expect(call.step).toBeDefined();
      expect(call.step?.index).toBeGreaterThanOrEqual(1);
      expect(call.step?.index).toBeLessThanOrEqual(call.step?.of ?? 0);
      expect([2, 5]).toContain(call.step?.of);
    }
    // One call per step used, over all cells.
    expect(coding).toHaveLength(rows.reduce((sum, row) => sum + row.stepsUsed, 0));
    for (const row of rows) expect(row.stepsUsed).toBeLessThanOrEqual(row.stepBudget);
  });

  it('runs one sleep run per item, shared by its sleep-time cells, and records the tokens of each phase', async () => {
    const model = policyModel({ plans, outputTokens: 20 });
    const { rows } = await run(model);
    const sleepCalls = model.calls.filter((call) => call.agent === 'sleep');
    // Each run: explore (list_files), write the notes, finish.
    expect(sleepCalls).toHaveLength(6);
    expect(sleepCalls.every((call) => /Tools:\n- list_files, read_file, search: explore/.test(call.system))).toBe(true);
    // The sleep-time agent sees the related pull requests, never the task.
    expect(sleepCalls.some((call) => call.text.includes('Earlier work: Add CSV export'))).toBe(true);
    expect(sleepCalls.some((call) => call.text.includes('Users can export reports as JSON'))).toBe(false);
    // The notes reach the sleep-time cells' coding agent, and only those.
    const coding = model.calls.filter((call) => call.agent === 'coding');
    expect(coding.filter((call) => call.system.includes('<repository_notes>')).every((call) => call.system.includes('Exports live in src/export/'))).toBe(true);
    expect(coding.filter((call) => call.system.includes('<repository_notes>'))).toHaveLength(
      rows.filter((row) => row.condition === 'sleep-time').reduce((sum, row) => sum + row.stepsUsed, 0),
    );

    for (const itemId of ['reports-csv', 'reports-json']) {
      const sleepRows = rows.filter((row) => row.itemId === itemId && row.condition === 'sleep-time');
      expect(new Set(sleepRows.map((row) => row.sleepRunKey)).size).toBe(1);
      for (const row of sleepRows) expect(row.sleepUsage?.outputTokens).toBe(60);
    }
    expect(new Set(rows.map((row) => row.sleepRunKey).filter((key) => key !== null)).size).toBe(2);
    for (const row of rows) {
      expect(row.testUsage.outputTokens).toBe(20 * row.stepsUsed);
      expect(row.testUsage.inputTokens).toBeGreaterThan(0);
      if (row.condition === 'test-time-only') expect(row).toMatchObject({ sleepRunKey: null, sleepUsage: null, sleepBudget: null });
      else expect(row.sleepBudget).toEqual({ parallel: 1 });
    }
  });
});

describe('resume', () => {
  it('skips the rows it has, and a run from the cache alone calls the model for nothing', async () => {
    const model = policyModel({ plans });
    const first = await run(model);
    const callsAfterFirst = model.calls.length;
    const again = await run(model);
    expect(again).toMatchObject({ written: 0, skipped: 8 });
    expect(model.calls).toHaveLength(callsAfterFirst);

    // Without the results file, every row is made again from cached calls: the same scores, no call.
    await rm(path.join(directory, 'results.jsonl'));
    const progress: number[] = [];
    const replay = await run(model, { onProgress: (state) => progress.push(state.cachedCalls) });
    expect(model.calls).toHaveLength(callsAfterFirst);
    expect(replay.written).toBe(8);
    expect(replay.rows.map((row) => [row.key, row.f1, row.stepsUsed, row.editedFiles, row.testUsage, row.sleepUsage])).toEqual(
      first.rows.map((row) => [row.key, row.f1, row.stepsUsed, row.editedFiles, row.testUsage, row.sleepUsage]),
    );
    expect(progress.at(-1)).toBe(callsAfterFirst);

    const file = path.join(directory, 'results.jsonl');
    expect(await readResultsKind(file)).toBe('swe-features');
    expect((await readResultsFile(file, sweFeaturesResultRowFormat)).rows).toHaveLength(8);
    expect(await readFile(file, 'utf8')).not.toContain(directory);
  });

  it('makes new rows only for the cells a new step budget adds', async () => {
    const model = policyModel({ plans });
    await run(model);
    const more = await run(model, { grid: { ...grid, steps: [2, 5, 3] } });
    expect(more).toMatchObject({ written: 4, skipped: 8 });
    expect(more.rows.filter((row) => row.stepBudget === 3)).toHaveLength(4);
  });
});

describe('failures', () => {
  it('records a failed model call as a row scored 0, and runs it again next time', async () => {
    const model = policyModel({ plans });
    const inner = model.model.doGenerate;
    let failing = true;
    model.model.doGenerate = async (options) => {
      const text = JSON.stringify(options.prompt);
      if (failing && text.includes('Add JSON export') && text.includes('[Step: 1/')) throw upstreamError('upstream_unavailable', 'The provider is down');
      return inner(options);
    };
    const { rows } = await run(model, { grid: { ...grid, conditions: ['test-time-only'] } });
    const failed = rows.filter((row) => row.error !== undefined);
    expect(failed.map((row) => [row.itemId, row.stepBudget])).toEqual([
      ['reports-json', 2],
      ['reports-json', 5],
    ]);
    for (const row of failed) expect(row).toMatchObject({ f1: 0, precision: 0, recall: 0, stopReason: null, editedFiles: [], error: { code: 'upstream_unavailable' } });
    failing = false;
    const retried = await run(model, { grid: { ...grid, conditions: ['test-time-only'] } });
    expect(retried).toMatchObject({ written: 2, skipped: 2 });
    expect(retried.rows.every((row) => row.error === undefined)).toBe(true);
  });

  it('stops before any call when an item\'s repository is not there, and runs from a clone named in its place', async () => {
    const itemsFile = path.join(directory, 'items.jsonl');
    await writeJsonl(itemsFile, fixture.items.map((item) => ({ ...item, repository: path.join(directory, 'moved-away') })));
    const moved = await loadSweFeaturesItems(itemsFile);
    const model = policyModel({ plans });
    const failure = await sleeptimeErrorOf(run(model, { items: moved }));
    expect(failure).toMatchObject({ code: 'repository_not_found', category: 'user' });
    expect(failure.message).toMatch(/^Item "reports-csv": .*moved-away is not a git repository here\. Point the run at a clone that has it \(sleeptime bench --repo PATH\)\.$/);
    expect(model.calls).toHaveLength(0);

    const found = await loadSweFeaturesItems(itemsFile, { repository: fixture.repository.dir });
    const result = await run(model, { items: found, grid: { ...grid, steps: [2], conditions: ['test-time-only'] } });
    expect(result.written).toBe(2);
  });
});
