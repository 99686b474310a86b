import { describe, expect, it } from 'vitest';
import type { BenchItem } from '../bench-types.js';
import { benchPromptsDigest } from './bench-prompts.js';
import { contentHash } from './canonical-json.js';
import { benchRowKey, compareTestBudgets, deriveSeed, expandGrid, lowestTestBudget, parseGridSpec, planGrid, type BenchCell } from './grid.js';
import { benchTestItems } from './runner-test-support.js';
import { sleeptimeErrorThrownBy } from '@sleeptime/core/testing';

const model = 'openai-compatible:scripted';

function countBy(cells: BenchCell[], field: (cell: BenchCell) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const cell of cells) counts[field(cell)] = (counts[field(cell)] ?? 0) + 1;
  return counts;
}

describe('parseGridSpec', () => {
  it('fills in the paper\'s defaults', () => {
    const grid = parseGridSpec({});
    expect(grid.conditions).toEqual(['test-time-only', 'sleep-time', 'context-only', 'pass-at-k']);
    expect(grid.testBudgets).toEqual([0, 1, 2, 3, 4].map((verbosity) => ({ verbosity })));
    expect(grid.sleepBudgets).toEqual([1, 2, 5, 10].map((parallel) => ({ parallel })));
    expect(grid.passAtK).toEqual([1, 2, 5, 10]);
    expect(grid.seeds).toEqual([0]);
    expect(grid).toMatchObject({ maxRewrites: 10, testTemperature: 0, samplingTemperature: 0.7, skipEmptyContexts: false });
  });

  it('expands budget axes into their combinations, and takes lists as given (without repeats)', () => {
    const grid = parseGridSpec({
      testBudgets: { verbosity: [0, 4], effort: ['low', 'high'] },
      sleepBudgets: [{ parallel: 2 }, { parallel: 5, effort: 'high' }, { parallel: 2 }],
    });
    expect(grid.testBudgets).toEqual([
      { verbosity: 0, effort: 'low' },
      { verbosity: 0, effort: 'high' },
      { verbosity: 4, effort: 'low' },
      { verbosity: 4, effort: 'high' },
    ]);
    expect(grid.sleepBudgets).toEqual([{ parallel: 2 }, { parallel: 5, effort: 'high' }]);
    // pass@k defaults to the sleep k values.
    expect(grid.passAtK).toEqual([2, 5]);
  });

  it('is idempotent: a parsed grid parses to itself', () => {
    const grid = parseGridSpec({ testBudgets: { thinkingBudget: [1024, 4096] }, seeds: [3, 1], testMaxOutputTokens: 300 });
    expect(parseGridSpec(grid)).toEqual(grid);
  });

  it.each([
    [{ conditions: ['sleep-time', 'dreaming'] }, 'conditions.1'],
    [{ testBudgets: [{ verbosity: 5 }] }, 'testBudgets'],
    [{ testBudgets: [{}] }, 'testBudgets'],
    [{ sleepBudgets: { parallel: [0] } }, 'sleepBudgets'],
    [{ sleepBudgets: [{ parallel: 17 }] }, 'sleepBudgets'],
    [{ seeds: [1.5] }, 'seeds.0'],
    [{ samplingTemperature: 0 }, 'samplingTemperature'],
    [{ pasAtK: [1] }, 'grid'],
    [{ maxMemoryCharacters: 99 }, 'maxMemoryCharacters'],
    [{ maxMemoryCharacters: 5000.5 }, 'maxMemoryCharacters'],
  ])('rejects %j naming %s', (input, field) => {
    const error = sleeptimeErrorThrownBy(() => parseGridSpec(input));
    expect(error.code).toBe('invalid_grid');
    expect(error.category).toBe('user');
    expect(error.message).toContain(field);
  });
});

describe('lowest test-time budget', () => {
  it('orders by thinking budget, then effort, then verbosity', () => {
    expect(lowestTestBudget([{ verbosity: 3 }, { verbosity: 1 }, { verbosity: 4 }])).toEqual({ verbosity: 1 });
    expect(lowestTestBudget([{ effort: 'high' }, { effort: 'low' }, { effort: 'medium' }])).toEqual({ effort: 'low' });
    expect(lowestTestBudget([{ thinkingBudget: 8192 }, { thinkingBudget: 1024 }])).toEqual({ thinkingBudget: 1024 });
    expect(compareTestBudgets({ effort: 'low', verbosity: 4 }, { effort: 'medium', verbosity: 0 })).toBeLessThan(0);
  });
});

describe('expandGrid', () => {
  it('counts: every budget for test-time-only and context-only, budgets x sleep budgets for sleep-time, pass@k at the lowest budget only', () => {
    const cells = expandGrid(benchTestItems, { seeds: [0, 1] }, { model });
    // Per item and seed: 5 + 5 x 4 + 5 + 4.
    expect(cells).toHaveLength(3 * 2 * (5 + 20 + 5 + 4));
    expect(countBy(cells, (cell) => cell.condition)).toEqual({ 'test-time-only': 30, 'sleep-time': 120, 'context-only': 30, 'pass-at-k': 24 });
    const passAtK = cells.filter((cell) => cell.condition === 'pass-at-k');
    expect(new Set(passAtK.map((cell) => JSON.stringify(cell.testBudget)))).toEqual(new Set(['{"verbosity":0}']));
    expect(passAtK.filter((cell) => cell.item.id === 'pens-1' && cell.seed === 1).map((cell) => cell.samples)).toEqual([1, 2, 5, 10]);
    expect(cells.filter((cell) => cell.condition !== 'sleep-time').every((cell) => cell.sleepBudget === null && cell.sleepRunKey === null)).toBe(true);
    expect(cells.filter((cell) => cell.condition !== 'pass-at-k').every((cell) => cell.samples === undefined)).toBe(true);
  });

  it('gives every cell a distinct key, the same on every expansion', () => {
    const cells = expandGrid(benchTestItems, { seeds: [0, 1] }, { model });
    expect(new Set(cells.map((cell) => cell.key)).size).toBe(cells.length);
    const again = expandGrid([...benchTestItems], { seeds: [0, 1] }, { model });
    expect(again.map((cell) => cell.key)).toEqual(cells.map((cell) => cell.key));
    // The key does not depend on the order fields were written in.
    const first = cells[0] as BenchCell;
    const reordered: BenchItem = { grader: first.item.grader, answer: first.item.answer, query: first.item.query, context: first.item.context, contextGroup: first.item.contextGroup, dataset: first.item.dataset, id: first.item.id };
    expect(expandGrid([reordered], { seeds: [0] }, { model })[0]?.key).toBe(first.key);
  });

  it('keys are the sha256 of the canonical JSON of the cell description', () => {
    const grid = parseGridSpec({});
    const item = benchTestItems[0] as BenchItem;
    const key = benchRowKey({ item, condition: 'test-time-only', testBudget: { verbosity: 0 }, sleepBudget: null, samples: undefined, seed: 0, model, grid });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).toBe(
      contentHash({
        version: 1,
        dataset: item.dataset,
        itemId: item.id,
        item: contentHash({ context: item.context, query: item.query, answer: item.answer, grader: item.grader }).slice(0, 16),
        condition: 'test-time-only',
        testBudget: { verbosity: 0 },
        sleepBudget: null,
        seed: 0,
        model,
        settings: { prompts: benchPromptsDigest, testTemperature: 0 },
      }),
    );
  });

  it('changes a key when anything that changes the row changes', () => {
    const base = expandGrid(benchTestItems.slice(0, 1), { conditions: ['sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 1 }] }, { model })[0] as BenchCell;
    const variants = [
      expandGrid(benchTestItems.slice(0, 1), { conditions: ['sleep-time'], testBudgets: [{ verbosity: 1 }], sleepBudgets: [{ parallel: 1 }] }, { model }),
      expandGrid(benchTestItems.slice(0, 1), { conditions: ['sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 2 }] }, { model }),
      expandGrid(benchTestItems.slice(0, 1), { conditions: ['sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 1 }], seeds: [1] }, { model }),
      expandGrid(benchTestItems.slice(0, 1), { conditions: ['sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 1 }] }, { model: 'openai:gpt-4o' }),
      expandGrid(benchTestItems.slice(0, 1), { conditions: ['sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 1 }], maxRewrites: 3 }, { model }),
      expandGrid([{ ...(benchTestItems[0] as BenchItem), query: 'Another question?' }], { conditions: ['sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 1 }] }, { model }),
    ].map((cells) => (cells[0] as BenchCell).key);
    expect(new Set([base.key, ...variants]).size).toBe(7);
    // Sleep settings do not touch rows without a sleep phase.
    const testOnly = (maxRewrites: number) => expandGrid(benchTestItems.slice(0, 1), { conditions: ['test-time-only'], maxRewrites }, { model })[0]?.key;
    expect(testOnly(3)).toBe(testOnly(10));
  });

  it('names one sleep run per context group, sleep budget and seed, shared by the group\'s queries', () => {
    const cells = expandGrid(benchTestItems, { conditions: ['sleep-time'], seeds: [0, 1] }, { model });
    const runs = new Set(cells.map((cell) => cell.sleepRunKey));
    // 2 groups x 4 sleep budgets x 2 seeds.
    expect(runs.size).toBe(16);
    const applesRun = (itemId: string) => cells.find((cell) => cell.item.id === itemId && cell.sleepBudget?.parallel === 5 && cell.seed === 1)?.sleepRunKey;
    expect(applesRun('apples-1')).toBe(applesRun('apples-2'));
    expect(applesRun('apples-1')).not.toBe(applesRun('pens-1'));
    // The cells of one group come together, so its sleep run can be freed early.
    const groups = cells.filter((cell) => cell.seed === 0).map((cell) => cell.item.contextGroup);
    expect(groups.indexOf('pens')).toBe(groups.lastIndexOf('apples') + 1);
  });

  it('runs the released ablation (sleep-time-no-question) only when named, on every test x sleep budget, reading the sleep-time cells\' runs', () => {
    expect(parseGridSpec({}).conditions).not.toContain('sleep-time-no-question');
    const cells = expandGrid(benchTestItems, { conditions: ['sleep-time', 'sleep-time-no-question', 'context-only'], testBudgets: { verbosity: [0, 2] }, sleepBudgets: { parallel: [1, 5] } }, { model });
    expect(countBy(cells, (cell) => cell.condition)).toEqual({ 'sleep-time': 12, 'sleep-time-no-question': 12, 'context-only': 6 });
    const withheld = cells.filter((cell) => cell.condition === 'sleep-time-no-question');
    for (const cell of withheld) {
      const twin = cells.find((other) => other.condition === 'sleep-time' && other.item.id === cell.item.id && contentHash(other.testBudget) === contentHash(cell.testBudget) && other.sleepBudget?.parallel === cell.sleepBudget?.parallel);
      expect(cell.sleepRunKey).not.toBeNull();
      expect(cell.sleepRunKey).toBe(twin?.sleepRunKey);
      expect(cell.key).not.toBe(twin?.key);
    }
    // Adding it leaves the other conditions' keys as they were.
    const without = expandGrid(benchTestItems, { conditions: ['sleep-time', 'context-only'], testBudgets: { verbosity: [0, 2] }, sleepBudgets: { parallel: [1, 5] } }, { model });
    expect(cells.filter((cell) => cell.condition !== 'sleep-time-no-question').map((cell) => cell.key).sort()).toEqual(without.map((cell) => cell.key).sort());
  });

  it('leaves both ablations out on an item with an empty context, and counts the cells', () => {
    const items: BenchItem[] = [...benchTestItems, { id: 'aime-x', dataset: 'aime', contextGroup: 'aime-x', context: '', query: 'Find x.', answer: 7, grader: 'aime' }];
    const plan = planGrid(items, { testBudgets: { verbosity: [0, 1] }, sleepBudgets: { parallel: [1, 2, 5] }, conditions: ['test-time-only', 'sleep-time', 'context-only', 'sleep-time-no-question'], seeds: [0, 1] }, { model });
    expect(countBy(plan.cells.filter((cell) => cell.item.id === 'aime-x'), (cell) => cell.condition)).toEqual({ 'test-time-only': 4, 'sleep-time': 12 });
    // Per seed: context-only 2 + sleep-time-no-question 2 x 3.
    expect(plan.skippedAblationCells).toBe(2 * (2 + 6));
    expect(planGrid(items, { conditions: ['context-only'], skipEmptyContexts: true }, { model }).skippedAblationCells).toBe(0);
    expect(planGrid(benchTestItems, {}, { model }).skippedAblationCells).toBe(0);
  });

  it('puts a memory size limit in the keys of the cells that read a sleep run, and of their runs, only', () => {
    const keys = (maxMemoryCharacters?: number) =>
      expandGrid(benchTestItems.slice(0, 1), { conditions: ['test-time-only', 'sleep-time', 'sleep-time-no-question', 'context-only', 'pass-at-k'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 1 }], passAtK: [2], ...(maxMemoryCharacters === undefined ? {} : { maxMemoryCharacters }) }, { model });
    const none = keys();
    const paper = keys(5000);
    const other = keys(2000);
    for (const [index, cell] of none.entries()) {
      const reads = cell.sleepRunKey !== null;
      expect(paper[index]?.key !== cell.key, cell.condition).toBe(reads);
      expect(paper[index]?.sleepRunKey !== cell.sleepRunKey, cell.condition).toBe(reads);
      expect(other[index]?.key !== paper[index]?.key, cell.condition).toBe(reads);
    }
    expect(parseGridSpec({ maxMemoryCharacters: 5000 }).maxMemoryCharacters).toBe(5000);
    expect(parseGridSpec({}).maxMemoryCharacters).toBeUndefined();
  });

  it('keeps items with an empty context unless the grid says to skip them', () => {
    const items: BenchItem[] = [...benchTestItems, { id: 'aime-x', dataset: 'aime', contextGroup: 'aime-x', context: '  ', query: 'Find x.', answer: 7, grader: 'aime' }];
    const grid = { conditions: ['test-time-only' as const], testBudgets: [{ verbosity: 0 as const }] };
    expect(expandGrid(items, grid, { model }).map((cell) => cell.item.id)).toContain('aime-x');
    expect(expandGrid(items, { ...grid, skipEmptyContexts: true }, { model }).map((cell) => cell.item.id)).not.toContain('aime-x');
  });

  it('rejects repeated ids, a context group with two texts, and answers the grader cannot use', () => {
    const [first] = benchTestItems as [BenchItem];
    expect(sleeptimeErrorThrownBy(() => expandGrid([first, first], {}, { model })).code).toBe('duplicate_item');
    expect(sleeptimeErrorThrownBy(() => expandGrid([first, { ...first, id: 'other', context: 'Different.' }], {}, { model })).code).toBe('inconsistent_context_group');
    expect(sleeptimeErrorThrownBy(() => expandGrid([{ ...first, grader: 'aime', answer: 2.5 }], {}, { model })).code).toBe('invalid_item');
  });
});

describe('deriveSeed', () => {
  it('is deterministic, 31-bit, and distinct across purposes and seeds', () => {
    const seeds = [0, 1].flatMap((seed) => Array.from({ length: 10 }, (_, index) => deriveSeed(seed, `pass-at-k-sample-${index}`)));
    expect(new Set(seeds).size).toBe(20);
    expect(seeds.every((seed) => Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31)).toBe(true);
    expect(deriveSeed(1, 'sleep-branch-0')).toBe(deriveSeed(1, 'sleep-branch-0'));
  });
});
