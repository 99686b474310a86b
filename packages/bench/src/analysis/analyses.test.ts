/** The analyses on hand-made rows whose answers are worked out by hand in each test. */
import { describe, expect, it } from 'vitest';
import type { BenchResultRow } from '../bench-types.js';
import { makeCell, makeRow } from './analysis-test-support.js';
import { accuracyVersusSleepBudget } from './accuracy-versus-sleep-budget.js';
import { accuracyVersusTokens } from './accuracy-versus-tokens.js';
import { amortizedCostAnalysis, amortizedCostPerQuery } from './amortized-cost.js';
import { compareSleepBudgets, compareTestBudgets, testBudgetKey } from './budgets.js';
import { distinctSleepRuns, generatedTokens, groupIntoExperiments, rowStatistics } from './row-statistics.js';
import { sleepTimeVersusPassAtK } from './sleep-versus-pass-at-k.js';
import { accuracyDeltas, analyzeResults, errorCounts, headlineTokenReductions, summaryTable, tokenReductions } from './summary.js';

const V0 = { verbosity: 0 } as const;
const V2 = { verbosity: 2 } as const;
const V4 = { verbosity: 4 } as const;

/**
 * A small grid with known numbers (10 items a cell):
 * - test-time only: verbosity 0: 40% at 100 tokens; 2: 60% at 300; 4: 80% at 700;
 * - sleep-time k=1: verbosity 0: 70% at 50 tokens (sleep 1000 a run); 2: 75% at 150;
 * - sleep-time k=2: verbosity 0: 60% at 40 tokens (sleep 2000 a run);
 * - pass@k at verbosity 0: k=2: 50% at 200 tokens; k=4: 55% at 400.
 */
function grid(): BenchResultRow[] {
  return [
    ...makeCell('t0', 10, 4, { condition: 'test-time-only', testBudget: V0, testTokens: 100 }),
    ...makeCell('t2', 10, 6, { condition: 'test-time-only', testBudget: V2, testTokens: 300 }),
    ...makeCell('t4', 10, 8, { condition: 'test-time-only', testBudget: V4, testTokens: 700 }),
    ...makeCell('s0', 10, 7, { condition: 'sleep-time', testBudget: V0, testTokens: 50, sleepTokens: 1000 }),
    ...makeCell('s2', 10, 7, { condition: 'sleep-time', testBudget: V2, testTokens: 150, sleepTokens: 1000 }).map((row, index) =>
      index === 7 ? { ...row, correct: true, final: 1 } : row,
    ),
    ...makeCell('k0', 10, 6, { condition: 'sleep-time', testBudget: V0, sleepBudget: { parallel: 2 }, testTokens: 40, sleepTokens: 2000 }),
    ...makeCell('p2', 10, 5, { condition: 'pass-at-k', testBudget: V0, samples: 2, testTokens: 200 }),
    ...makeCell('p4', 10, 5, { condition: 'pass-at-k', testBudget: V0, samples: 4, testTokens: 400 }).map((row, index) =>
      index === 9 ? { ...row, correct: true } : row,
    ),
  ];
}

describe('budgets', () => {
  it('keys a budget the same whatever the order of its fields', () => {
    expect(testBudgetKey({ effort: 'low', verbosity: 1 })).toBe(testBudgetKey({ verbosity: 1, effort: 'low' }));
    expect(testBudgetKey({ verbosity: 1 })).not.toBe(testBudgetKey({ verbosity: 2 }));
    expect(testBudgetKey({})).toBe('default');
  });

  it('orders budgets cheapest first', () => {
    const test = [{ effort: 'high' as const }, { effort: 'low' as const }, { effort: 'medium' as const }].sort(compareTestBudgets);
    expect(test.map((budget) => budget.effort)).toEqual(['low', 'medium', 'high']);
    const sleep = [{ parallel: 10 }, null, { parallel: 2 }, { parallel: 1, effort: 'high' as const }, { parallel: 5 }].sort(compareSleepBudgets);
    expect(sleep).toEqual([null, { parallel: 2 }, { parallel: 5 }, { parallel: 10 }, { parallel: 1, effort: 'high' }]);
  });
});

describe('row statistics', () => {
  it('counts output tokens, which already include reasoning tokens, once', () => {
    const row = makeRow({ itemId: 'a', condition: 'test-time-only', correct: true, testTokens: 120, reasoningTokens: 100 });
    expect(generatedTokens(row.testUsage)).toBe(120);
  });

  it('counts errors as wrong and separately', () => {
    const rows = [
      makeRow({ itemId: 'a', condition: 'test-time-only', correct: true, testTokens: 10 }),
      makeRow({ itemId: 'b', condition: 'test-time-only', correct: true, testTokens: 30, error: { code: 'rate_limited', message: '429' } }),
      makeRow({ itemId: 'c', condition: 'test-time-only', correct: false, testTokens: 20 }),
    ];
    expect(rowStatistics(rows)).toMatchObject({ rows: 3, correct: 1, errors: 1, averageTestTokens: 20 });
    expect(rowStatistics(rows).accuracy).toBeCloseTo(1 / 3, 12);
  });

  it('counts a sleep-time run shared by several rows once', () => {
    const rows = [
      makeRow({ itemId: 'q1', contextGroup: 'c', condition: 'sleep-time', correct: true, testTokens: 10, sleepTokens: 900, sleepRunKey: 'run-1' }),
      makeRow({ itemId: 'q2', contextGroup: 'c', condition: 'sleep-time', correct: true, testTokens: 10, sleepTokens: 900, sleepRunKey: 'run-1' }),
      makeRow({ itemId: 'q3', contextGroup: 'd', condition: 'sleep-time', correct: true, testTokens: 10, sleepTokens: 300, sleepRunKey: 'run-2' }),
    ];
    expect(distinctSleepRuns(rows)).toEqual([
      { key: 'run-1', tokens: 900 },
      { key: 'run-2', tokens: 300 },
    ]);
    expect(rowStatistics(rows).averageSleepTokensPerRun).toBe(600);
  });

  it('splits rows by dataset and model', () => {
    const rows = [
      makeRow({ itemId: 'a', condition: 'test-time-only', correct: true, testTokens: 1, dataset: 'x', model: 'm1' }),
      makeRow({ itemId: 'b', condition: 'test-time-only', correct: true, testTokens: 1, dataset: 'y', model: 'm1' }),
      makeRow({ itemId: 'c', condition: 'test-time-only', correct: true, testTokens: 1, dataset: 'x', model: 'm2' }),
      makeRow({ itemId: 'd', condition: 'test-time-only', correct: true, testTokens: 1, dataset: 'x', model: 'm1' }),
    ];
    expect(groupIntoExperiments(rows).map((one) => [one.dataset, one.model, one.rows.map((row) => row.itemId)])).toEqual([
      ['x', 'm1', ['a', 'd']],
      ['y', 'm1', ['b']],
      ['x', 'm2', ['c']],
    ]);
  });
});

describe('accuracyVersusTokens (a)', () => {
  it('gives one series per condition and sleep budget, one point per budget, with each condition’s Pareto front', () => {
    const analysis = accuracyVersusTokens(grid());
    expect(analysis.series.map((one) => one.label)).toEqual(['test-time only', 'sleep-time (k=1)', 'sleep-time (k=2)', 'pass@k']);
    const baseline = analysis.series[0];
    expect(baseline?.points.map((point) => [point.testBudgetLabel, point.accuracy, point.tokens])).toEqual([
      ['verbosity 0', 0.4, 100],
      ['verbosity 2', 0.6, 300],
      ['verbosity 4', 0.8, 700],
    ]);
    expect(analysis.series[3]?.points.map((point) => [point.label, point.accuracy, point.tokens])).toEqual([
      ['pass@2', 0.5, 200],
      ['pass@4', 0.6, 400],
    ]);
    const sleepFront = analysis.fronts.find((front) => front.condition === 'sleep-time');
    // k=2 verbosity 0 (40 tokens, 60%), k=1 verbosity 0 (50, 70%), k=1 verbosity 2 (150, 80%).
    expect(sleepFront?.points.map((point) => [point.tokens, point.accuracy])).toEqual([
      [40, 0.6],
      [50, 0.7],
      [150, 0.8],
    ]);
  });
});

describe('accuracyVersusSleepBudget (b)', () => {
  it('has a series per test budget with sleep-time rows, starting at the no-sleep baseline', () => {
    const series = accuracyVersusSleepBudget(grid());
    expect(series.map((one) => one.testBudgetLabel)).toEqual(['verbosity 0', 'verbosity 2']);
    expect(series[0]?.points.map((point) => [point.sleepBudgetLabel, point.accuracy, point.averageSleepTokensPerRun])).toEqual([
      ['no sleep', 0.4, null],
      ['k=1', 0.7, 1000],
      ['k=2', 0.6, 2000],
    ]);
    expect(series[1]?.points.map((point) => point.sleepBudgetLabel)).toEqual(['no sleep', 'k=1']);
  });
});

describe('amortized cost (c)', () => {
  it('is sleep tokens over N plus t times test tokens', () => {
    expect(amortizedCostPerQuery(1000, 50, 4, 10)).toBe(750);
    expect(amortizedCostPerQuery(1000, 50, 1)).toBe(1500);
    expect(() => amortizedCostPerQuery(1, 1, 0)).toThrow(RangeError);
  });

  it('draws the analytical curves at the cheapest shared test budget', () => {
    const analysis = amortizedCostAnalysis(grid(), { testTokenWeight: 10, maxQueriesPerContext: 4 });
    expect(analysis.testBudgetLabel).toBe('verbosity 0');
    const analytical = analysis.series.filter((one) => one.kind === 'analytical');
    expect(analytical.map((one) => one.label)).toEqual(['test-time only', 'sleep-time (k=1)', 'sleep-time (k=2)']);
    expect(analytical[0]?.points.map((point) => point.costPerQuery)).toEqual([1000, 1000, 1000, 1000]);
    // k=1: 1000 / N + 10 * 50.
    expect(analytical[1]?.points.map((point) => point.costPerQuery)).toEqual([1500, 1000, 500 + 1000 / 3, 750]);
    expect(analysis.mostQueriesPerContext).toBe(1);
  });

  it('measures multi-query contexts, counting each sleep run once', () => {
    // Context A: 3 queries sharing one run of 600 tokens, test tokens 10, 20, 30 (mean 20).
    // Context B: 1 query, its own run of 300 tokens, 40 test tokens.
    const rows = [
      ...[10, 20, 30].map((tokens, index) =>
        makeRow({ itemId: `a${index}`, contextGroup: 'A', condition: 'sleep-time', correct: true, testTokens: tokens, sleepTokens: 600, sleepRunKey: 'run-A' }),
      ),
      makeRow({ itemId: 'b0', contextGroup: 'B', condition: 'sleep-time', correct: false, testTokens: 40, sleepTokens: 300, sleepRunKey: 'run-B' }),
      ...['a0', 'a1', 'a2'].map((itemId) => makeRow({ itemId, contextGroup: 'A', condition: 'test-time-only', correct: false, testTokens: 100 })),
      makeRow({ itemId: 'b0', contextGroup: 'B', condition: 'test-time-only', correct: false, testTokens: 100 }),
    ];
    const analysis = amortizedCostAnalysis(rows, { testTokenWeight: 2 });
    expect(analysis.mostQueriesPerContext).toBe(3);
    const measuredSleep = analysis.series.find((one) => one.kind === 'measured' && one.condition === 'sleep-time');
    // N=1: mean of A (600 + 2*20 = 640) and B (300 + 2*40 = 380) = 510; N=2: A only, 300 + 40; N=3: 200 + 40.
    expect(measuredSleep?.points).toEqual([
      { queriesPerContext: 1, costPerQuery: 510, contexts: 2 },
      { queriesPerContext: 2, costPerQuery: 340, contexts: 1 },
      { queriesPerContext: 3, costPerQuery: 240, contexts: 1 },
    ]);
    const analyticalSleep = analysis.series.find((one) => one.kind === 'analytical' && one.condition === 'sleep-time');
    // Two distinct runs (600, 300): 450 a run; mean test tokens (10+20+30+40)/4 = 25.
    expect(analyticalSleep?.averageSleepTokensPerRun).toBe(450);
    expect(analyticalSleep?.points[0]?.costPerQuery).toBe(450 + 2 * 25);
    const measuredBaseline = analysis.series.find((one) => one.kind === 'measured' && one.condition === 'test-time-only');
    expect(measuredBaseline?.points.map((point) => point.costPerQuery)).toEqual([200, 200, 200]);
  });

  it('has no curves when no test budget has both conditions', () => {
    const rows = makeCell('t', 2, 1, { condition: 'test-time-only', testTokens: 5 });
    expect(amortizedCostAnalysis(rows).series).toEqual([]);
  });
});

describe('token reduction at equal accuracy', () => {
  it('reads test-time only’s tokens for sleep-time’s accuracy off its Pareto front', () => {
    const rows = grid();
    const analysis = accuracyVersusTokens(rows);
    const reductions = tokenReductions(rows, analysis, { testTokenWeight: 10, queriesPerContext: 10 });
    const k1v0 = reductions.find((one) => one.sleepSeriesLabel === 'sleep-time (k=1)' && one.testBudgetLabel === 'verbosity 0');
    // 70% lies half way between test-time only's 60% (300 tokens) and 80% (700 tokens): 500 tokens, 10x sleep-time's 50.
    expect(k1v0?.reading).toBe('interpolated');
    expect(k1v0?.testTimeOnlyTokens).toBeCloseTo(500, 9);
    expect(k1v0?.ratio).toBeCloseTo(10, 9);
    // Cost at N=10: test-time only 10*500 = 5000; sleep-time 1000/10 + 10*50 = 600.
    expect(k1v0?.costRatio).toBeCloseTo(5000 / 600, 12);
    // Compared with the mix of verbosity 2 and 4 (half each), whose interval is resampled from both cells' rows.
    expect(k1v0?.testTimeOnly?.budgetLabels).toEqual(['verbosity 2', 'verbosity 4']);
    expect(k1v0?.testTimeOnly?.accuracy).toBeCloseTo(0.7, 12);
    expect(k1v0?.testTimeOnly?.tokens).toBeCloseTo(500, 9);
    expect(k1v0?.testTimeOnly?.interval.lower).toBeLessThan(0.7);
    expect(k1v0?.testTimeOnly?.interval.upper).toBeGreaterThan(0.7);
    // Ten items a cell: too few for the claim (30 by default), however large the ratio.
    expect(k1v0?.judgement).toEqual({ claim: 'same-accuracy', supported: false, obstacles: ['too-few-contexts'], contexts: 10 });
    expect(tokenReductions(rows, analysis, { claimRules: { minimumContexts: 10 } })[0]?.judgement.supported).toBe(true);
    const k1v2 = reductions.find((one) => one.sleepSeriesLabel === 'sleep-time (k=1)' && one.testBudgetLabel === 'verbosity 2');
    expect(k1v2).toMatchObject({ testTimeOnlyTokens: 700, reading: 'measured' });
    expect(k1v2?.ratio).toBeCloseTo(700 / 150, 12);
    const headline = headlineTokenReductions(reductions, analysis.series);
    expect(headline.map((one) => [one.sleepSeriesLabel, one.testBudgetLabel])).toEqual([
      ['sleep-time (k=1)', 'verbosity 0'],
      ['sleep-time (k=2)', 'verbosity 0'],
    ]);
  });

  it('marks an accuracy test-time only never reaches, and one its cheapest point beats', () => {
    const rows = [
      ...makeCell('t', 10, 5, { condition: 'test-time-only', testTokens: 100 }),
      ...makeCell('s', 10, 9, { condition: 'sleep-time', testTokens: 20 }),
      ...makeCell('w', 10, 2, { condition: 'sleep-time', sleepBudget: { parallel: 2 }, testTokens: 10 }),
    ];
    const reductions = tokenReductions(rows, accuracyVersusTokens(rows));
    expect(reductions.map((one) => [one.sleepSeriesLabel, one.reading, one.testTimeOnlyTokens, one.ratio])).toEqual([
      ['sleep-time (k=1)', 'not-reached', null, null],
      ['sleep-time (k=2)', 'at-most', 100, 10],
    ]);
  });
});

describe('accuracy deltas and errors', () => {
  it('subtracts test-time only at the same test budget', () => {
    const rows = grid();
    const deltas = accuracyDeltas(rows, accuracyVersusTokens(rows));
    expect(deltas.map((one) => [one.seriesLabel, one.testBudgetLabel, Number(one.delta.toFixed(10))])).toEqual([
      ['sleep-time (k=1)', 'verbosity 0', 0.3],
      ['sleep-time (k=1)', 'verbosity 2', 0.2],
      ['sleep-time (k=2)', 'verbosity 0', 0.2],
    ]);
  });

  it('compares both context-only ablations too, each under its own name', () => {
    const rows = [
      ...makeCell('t', 10, 4, { condition: 'test-time-only', testTokens: 100 }),
      ...makeCell('c', 10, 1, { condition: 'context-only', testTokens: 50 }),
      ...makeCell('n', 10, 3, { condition: 'sleep-time-no-question', sleepBudget: { parallel: 1 }, testTokens: 40, sleepTokens: 500 }),
    ];
    const deltas = accuracyDeltas(rows, accuracyVersusTokens(rows));
    expect(deltas.map((one) => [one.seriesLabel, Number(one.delta.toFixed(10))])).toEqual([
      ['context only', -0.3],
      ['sleep-time, no question (k=1)', -0.1],
    ]);
    expect(summaryTable(rows).map((row) => row.condition)).toEqual(['test-time-only', 'context-only', 'sleep-time-no-question']);
  });

  it('counts errors by condition and code', () => {
    const rows = [
      makeRow({ itemId: 'a', condition: 'sleep-time', correct: false, testTokens: 0, error: { code: 'rate_limited', message: 'HTTP 429' } }),
      makeRow({ itemId: 'b', condition: 'sleep-time', correct: false, testTokens: 0, error: { code: 'rate_limited', message: 'HTTP 429 again' } }),
      makeRow({ itemId: 'c', condition: 'test-time-only', correct: false, testTokens: 0, error: { code: 'timeout', message: 'slow' } }),
      makeRow({ itemId: 'd', condition: 'test-time-only', correct: true, testTokens: 3 }),
    ];
    expect(errorCounts(rows)).toEqual([
      { condition: 'test-time-only', seriesLabel: 'test-time only', code: 'timeout', count: 1, example: 'slow' },
      { condition: 'sleep-time', seriesLabel: 'sleep-time (k=1)', code: 'rate_limited', count: 2, example: 'HTTP 429' },
    ]);
  });
});

describe('sleepTimeVersusPassAtK (e)', () => {
  it('compares each pass@k point with sleep-time at the same test-time tokens', () => {
    const result = sleepTimeVersusPassAtK(grid());
    // Sleep-time front: (40, 0.6), (50, 0.7), (150, 0.8): at 200 and 400 tokens its best is 0.8.
    expect(result.comparisons.map((one) => [one.samples, one.passAtKAccuracy, one.sleepTimeAccuracy, one.reading])).toEqual([
      [2, 0.5, 0.8, 'best-below'],
      [4, 0.6, 0.8, 'best-below'],
    ]);
    expect(result.comparisons[0]?.difference).toBeCloseTo(0.3, 12);
    // Every accuracy with its interval; the difference's interval is of the difference, around it.
    const [first] = result.comparisons;
    expect(first?.passAtKInterval.contexts).toBe(10);
    expect(first?.sleepTimeInterval?.contexts).toBe(10);
    expect(first?.differenceInterval?.lower).toBeLessThan(0.3);
    expect(first?.differenceInterval?.upper).toBeGreaterThan(0.3);
  });

  it('interpolates on the sleep-time front between two points', () => {
    const rows = [
      ...makeCell('a', 10, 2, { condition: 'sleep-time', testBudget: V0, testTokens: 100 }),
      ...makeCell('b', 10, 6, { condition: 'sleep-time', testBudget: V2, testTokens: 300 }),
      ...makeCell('p', 10, 3, { condition: 'pass-at-k', samples: 2, testTokens: 250 }),
    ];
    const [comparison] = sleepTimeVersusPassAtK(rows).comparisons;
    expect(comparison?.reading).toBe('interpolated');
    expect(comparison?.sleepTimeAccuracy).toBeCloseTo(0.5, 12);
  });
});

describe('summary table and analyzeResults', () => {
  it('has a row per cell, in figure order, with accuracy, tokens and errors', () => {
    const table = summaryTable(grid());
    expect(table.map((row) => [row.condition, row.sleepBudgetLabel, row.testBudgetLabel, row.samples, row.rows, row.accuracy])).toEqual([
      ['test-time-only', 'no sleep', 'verbosity 0', null, 10, 0.4],
      ['test-time-only', 'no sleep', 'verbosity 2', null, 10, 0.6],
      ['test-time-only', 'no sleep', 'verbosity 4', null, 10, 0.8],
      ['sleep-time', 'k=1', 'verbosity 0', null, 10, 0.7],
      ['sleep-time', 'k=1', 'verbosity 2', null, 10, 0.8],
      ['sleep-time', 'k=2', 'verbosity 0', null, 10, 0.6],
      ['pass-at-k', 'no sleep', 'verbosity 0', 2, 10, 0.5],
      ['pass-at-k', 'no sleep', 'verbosity 0', 4, 10, 0.6],
    ]);
    expect(table[3]?.averageSleepTokensPerRun).toBe(1000);
    expect(table[3]?.sleepRuns).toBe(10);
  });

  it('runs every analysis per experiment and leaves predictability empty without scores', () => {
    const rows = [...grid(), ...makeCell('other', 4, 1, { condition: 'test-time-only', testTokens: 9, dataset: 'aime' })];
    const [gsm, aime] = analyzeResults(rows, undefined, { testTokenWeight: 10 });
    expect(gsm?.dataset).toBe('gsm-symbolic-p1');
    expect(gsm?.rows).toBe(80);
    expect(gsm?.predictability).toBeNull();
    expect(gsm?.headlineTokenReductions[0]?.ratio).toBeCloseTo(10, 9);
    expect(aime?.summary.map((row) => row.accuracy)).toEqual([0.25]);
    expect(aime?.tokenReductions).toEqual([]);
  });
});
