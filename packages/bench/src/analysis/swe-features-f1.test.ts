/**
 * The SWE-Features analysis on rows made up for it: mean F1 and tokens per cell, intervals over
 * items (seeds drawn together), the Pareto fronts, and when a token saving at equal F1 may be said.
 */
import { describe, expect, it } from 'vitest';
import { analyzeSweFeaturesResults } from './swe-features-f1.js';
import { gridRows, sweRow } from './swe-features-rows-test-support.js';

describe('analyzeSweFeaturesResults', () => {
  it('gives each cell its mean F1, precision, recall, tokens and steps, and each condition its front', () => {
    const [analysis] = analyzeSweFeaturesResults(gridRows(40));
    expect(analysis).toMatchObject({ dataset: 'swe-features', model: 'mock:scripted', rows: 160, items: 40, errors: 0 });
    expect(analysis?.series.map((one) => [one.label, one.points.map((point) => [point.label, point.f1, point.tokens])])).toEqual([
      ['test-time only', [['5 steps', expect.closeTo(0.3, 12), 1000], ['10 steps', expect.closeTo(0.5, 12), 2000]]],
      ['sleep-time notes (k=1)', [['5 steps', expect.closeTo(0.5, 12), 1200], ['10 steps', expect.closeTo(0.9, 12), 1500]]],
    ]);
    const sleepPoint = analysis?.series[1]?.points[0];
    expect(sleepPoint).toMatchObject({ rows: 40, items: 40, averageStepsUsed: 3, doneShare: 1, sleepRuns: 40, averageSleepTokensPerRun: 500 });
    expect(analysis?.fronts.map((front) => [front.label, front.points.map((point) => point.stepBudget)])).toEqual([
      ['test-time only Pareto front', [5, 10]],
      ['sleep-time notes Pareto front', [5, 10]],
    ]);
  });

  it('resamples items with all their seeds: the interval holds the mean, and a constant cell has a one-point interval', () => {
    const rows = gridRows(40).flatMap((row) => [row, { ...row, seed: 1, key: `${row.key}-1` }]);
    const [analysis] = analyzeSweFeaturesResults(rows);
    const varying = analysis?.series[0]?.points[1];
    expect(varying?.f1Interval.contexts).toBe(40);
    expect(varying?.f1Interval.lower).toBeLessThan(0.5);
    expect(varying?.f1Interval.upper).toBeGreaterThan(0.5);
    expect(analysis?.series[0]?.points[0]?.f1Interval).toEqual({ lower: expect.closeTo(0.3, 12), upper: expect.closeTo(0.3, 12), contexts: 40 });
    // Seeded: the same rows give the same intervals.
    expect(analyzeSweFeaturesResults(rows)[0]?.series[0]?.points[1]?.f1Interval).toEqual(varying?.f1Interval);
  });

  it('claims a token saving at equal F1 only with enough items and overlapping intervals, and "never reached" only with intervals apart', () => {
    const [analysis] = analyzeSweFeaturesResults(gridRows(40));
    const [atFive, atTen] = analysis?.reductions ?? [];
    // Sleep-time's 0.5 at 1,200 tokens; test-time only reaches 0.5 at 10 steps, 2,000 tokens.
    expect(atFive).toMatchObject({ stepLabel: '5 steps', reading: 'measured', testTimeOnlyTokens: 2000, judgement: { claim: 'same-accuracy', supported: true, obstacles: [] } });
    expect(atFive?.ratio).toBeCloseTo(2000 / 1200, 12);
    expect(atTen).toMatchObject({ stepLabel: '10 steps', reading: 'not-reached', testTimeOnlyTokens: null, judgement: { claim: 'never-reached', supported: true } });

    const [few] = analyzeSweFeaturesResults(gridRows(6));
    expect(few?.reductions[0]?.judgement).toMatchObject({ supported: false, obstacles: ['too-few-contexts'], contexts: 6 });
  });

  it('compares sleep-time with test-time only at each step budget, paired over items', () => {
    const [analysis] = analyzeSweFeaturesResults(gridRows(40));
    expect(analysis?.deltas.map((delta) => [delta.stepLabel, delta.delta])).toEqual([
      ['5 steps', expect.closeTo(0.2, 12)],
      ['10 steps', expect.closeTo(0.4, 12)],
    ]);
    // Paired: at 10 steps each item's difference is .5 or .3, so the interval stays inside [.3, .5].
    const interval = analysis?.deltas[1]?.interval;
    expect(interval?.lower).toBeGreaterThanOrEqual(0.3);
    expect(interval?.upper).toBeLessThanOrEqual(0.5);
  });

  it('counts a failed row as F1 0 and an error', () => {
    const rows = [sweRow({ item: 1, condition: 'test-time-only', steps: 5, f1: 1, tokens: 10 }), sweRow({ item: 2, condition: 'test-time-only', steps: 5, f1: 0, tokens: 0, error: true })];
    const [analysis] = analyzeSweFeaturesResults(rows);
    expect(analysis?.series[0]?.points[0]).toMatchObject({ f1: 0.5, errors: 1, rows: 2 });
    expect(analysis?.errors).toBe(1);
    expect(analysis?.reductions).toEqual([]);
  });
});
