/** The SWE-Features grid: defaults, refusals, the cells, and keys that change only where they should. */
import { describe, expect, it } from 'vitest';
import { sleeptimeErrorThrownBy } from '@sleeptime/core/testing';
import type { SweFeaturesItem } from '../datasets/swe-features/index.js';
import { parseSweFeaturesGrid, planSweFeaturesGrid } from './swe-features-grid.js';

const item = (id: string, overrides: Partial<SweFeaturesItem> = {}): SweFeaturesItem => ({
  id,
  source: 'repository',
  repository: '/repo',
  repositoryName: 'repo',
  baseCommit: 'a'.repeat(40),
  featureCommit: 'b'.repeat(40),
  kind: 'merge',
  pullRequest: 1,
  date: null,
  title: 'Add X',
  task: 'Add X',
  context: 'Earlier: Add Y',
  contextPullRequests: [],
  goldFiles: ['src/x.ts'],
  testFiles: [],
  ...overrides,
});

describe('parseSweFeaturesGrid', () => {
  it('defaults to both conditions, steps 5, 10 and 20, k = 1 and seed 0', () => {
    expect(parseSweFeaturesGrid({})).toMatchObject({
      conditions: ['test-time-only', 'sleep-time'],
      steps: [5, 10, 20],
      sleepBudgets: [{ parallel: 1 }],
      seeds: [0],
      maxRewrites: 10,
      testTemperature: 0,
    });
    expect(parseSweFeaturesGrid({ steps: [20, 5, 5], sleepBudgets: { parallel: [1, 2], effort: ['low'] } })).toMatchObject({
      steps: [5, 20],
      sleepBudgets: [
        { parallel: 1, effort: 'low' },
        { parallel: 2, effort: 'low' },
      ],
    });
  });

  it('refuses what it cannot run, naming the field', () => {
    expect(sleeptimeErrorThrownBy(() => parseSweFeaturesGrid({ steps: [0] }))).toMatchObject({ code: 'invalid_grid', message: expect.stringMatching(/^Invalid SWE-Features grid: steps\.0: /) });
    expect(sleeptimeErrorThrownBy(() => parseSweFeaturesGrid({ steps: [501] })).message).toMatch(/steps\.0/);
    expect(sleeptimeErrorThrownBy(() => parseSweFeaturesGrid({ conditions: ['pass-at-k'] })).message).toMatch(/conditions\.0/);
    expect(sleeptimeErrorThrownBy(() => parseSweFeaturesGrid({ verbosity: [0] })).message).toMatch(/verbosity/);
  });
});

describe('planSweFeaturesGrid', () => {
  const items = [item('one'), item('two')];

  it('makes a cell per item, condition, sleep budget and step budget; sleep-time cells of an item share one sleep run', () => {
    const cells = planSweFeaturesGrid(items, { steps: [3, 6] }, { model: 'm' });
    expect(cells.map((cell) => [cell.item.id, cell.condition, cell.stepBudget])).toEqual([
      ['one', 'test-time-only', 3],
      ['one', 'test-time-only', 6],
      ['one', 'sleep-time', 3],
      ['one', 'sleep-time', 6],
      ['two', 'test-time-only', 3],
      ['two', 'test-time-only', 6],
      ['two', 'sleep-time', 3],
      ['two', 'sleep-time', 6],
    ]);
    expect(new Set(cells.map((cell) => cell.key)).size).toBe(8);
    const runs = cells.map((cell) => cell.sleepRunKey);
    expect(runs.filter((key) => key === null)).toHaveLength(4);
    expect(runs[2]).toBe(runs[3]);
    expect(runs[6]).toBe(runs[7]);
    expect(runs[2]).not.toBe(runs[6]);
  });

  it('keeps keys when an unrelated setting changes, and renews them when what shapes the row does', () => {
    const key = (grid: object, of = items, model = 'm') => planSweFeaturesGrid(of, grid, { model }).map((cell) => cell.key);
    const base = key({ steps: [3] });
    // Test-time only rows do not depend on the sleep settings; sleep-time rows do.
    const sleepChanged = key({ steps: [3], maxRewrites: 2 });
    expect(sleepChanged[0]).toBe(base[0]);
    expect(sleepChanged[1]).not.toBe(base[1]);
    expect(key({ steps: [3], testMaxOutputTokens: 100 })[0]).not.toBe(base[0]);
    expect(key({ steps: [3] }, [item('one', { goldFiles: ['src/y.ts'] }), items[1] as SweFeaturesItem])[0]).not.toBe(base[0]);
    expect(key({ steps: [3] }, [item('one', { repository: '/elsewhere' }), items[1] as SweFeaturesItem])).toEqual(base);
    expect(key({ steps: [3] }, items, 'other')[0]).not.toBe(base[0]);
  });

  it('refuses an item id given twice', () => {
    expect(sleeptimeErrorThrownBy(() => planSweFeaturesGrid([item('one'), item('one')], {}, { model: 'm' }))).toMatchObject({ code: 'duplicate_item' });
  });
});
