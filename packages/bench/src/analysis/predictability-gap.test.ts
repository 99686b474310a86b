import { describe, expect, it } from 'vitest';
import type { PredictabilityRow } from '../bench-types.js';
import { makeRow } from './analysis-test-support.js';
import { assignQuantileBins, predictabilityGap } from './predictability-gap.js';

describe('assignQuantileBins', () => {
  it('puts equal shares of distinct scores in each bin, lowest scores in bin 0', () => {
    const scores = [-1, -10, -3, -7, -2, -9, -5, -4, -8, -6];
    // Ranks from lowest: -10 -9 | -8 -7 | -6 -5 | -4 -3 | -2 -1.
    expect(assignQuantileBins(scores, 5)).toEqual([4, 0, 3, 1, 4, 0, 2, 3, 1, 2]);
  });

  it('keeps tied scores in one bin, the bin of the first of them', () => {
    const scores = [1, 1, 1, 1, 2, 3, 4, 5, 6, 7];
    // The four 1s start at rank 0 (bin 0); 2 is at rank 4, bin floor(4*5/10) = 2; bin 1 stays empty.
    expect(assignQuantileBins(scores, 5)).toEqual([0, 0, 0, 0, 2, 2, 3, 3, 4, 4]);
  });

  it('handles uneven counts, a single item and no items', () => {
    expect(assignQuantileBins([3, 1, 2], 5)).toEqual([3, 0, 1]);
    expect(assignQuantileBins([-4], 5)).toEqual([0]);
    expect(assignQuantileBins([], 5)).toEqual([]);
    expect(assignQuantileBins([-Infinity, -Infinity, 0], 2)).toEqual([0, 0, 1]);
  });

  it('rejects a bad bin count and NaN scores', () => {
    expect(() => assignQuantileBins([1], 0)).toThrow(RangeError);
    expect(() => assignQuantileBins([Number.NaN], 5)).toThrow(RangeError);
  });
});

describe('predictabilityGap (d)', () => {
  /**
   * Ten items with scores -10..-1 (item i has score -10 + i), two bins of five. Test-time only gets
   * every item wrong. Sleep-time (k=1) gets items 0 and 5..9 right: 20% in the low bin, 100% in the
   * high one. At verbosity 2 only item 9 is run, in both conditions, sleep-time right.
   */
  function scenario() {
    const rows = [];
    const scores: PredictabilityRow[] = [];
    for (let index = 0; index < 10; index += 1) {
      const itemId = `item-${index}`;
      rows.push(makeRow({ itemId, condition: 'test-time-only', correct: false, testTokens: 100 }));
      rows.push(makeRow({ itemId, condition: 'sleep-time', correct: index === 0 || index >= 5, testTokens: 20 }));
      // A dearer sleep budget that is always wrong: it must not be mixed in.
      rows.push(makeRow({ itemId, condition: 'sleep-time', sleepBudget: { parallel: 5 }, correct: false, testTokens: 20 }));
      scores.push({ dataset: 'gsm-symbolic-p1', itemId, model: 'llama:/models/base.gguf', logProbability: -10 + index, queryTokens: 12 });
    }
    rows.push(makeRow({ itemId: 'item-9', condition: 'test-time-only', testBudget: { verbosity: 2 }, correct: false, testTokens: 300 }));
    rows.push(makeRow({ itemId: 'item-9', condition: 'sleep-time', testBudget: { verbosity: 2 }, correct: true, testTokens: 60 }));
    // Scored, but only in one condition: not binned. And a row with no score.
    rows.push(makeRow({ itemId: 'only-baseline', condition: 'test-time-only', correct: true, testTokens: 1 }));
    scores.push({ dataset: 'gsm-symbolic-p1', itemId: 'only-baseline', model: 'llama:/models/base.gguf', logProbability: 0, queryTokens: 3 });
    rows.push(makeRow({ itemId: 'unscored', condition: 'test-time-only', correct: true, testTokens: 1 }));
    rows.push(makeRow({ itemId: 'unscored', condition: 'sleep-time', correct: true, testTokens: 1 }));
    return { rows, scores };
  }

  it('bins items by score and takes the sleep-minus-test gap per bin at matched budgets', () => {
    const { rows, scores } = scenario();
    const analysis = predictabilityGap(rows, scores, { binCount: 2 });
    expect(analysis.sleepBudgetLabel).toBe('k=1');
    expect(analysis.scoringModel).toBe('llama:/models/base.gguf');
    expect(analysis.binnedItems).toBe(10);
    expect(analysis.itemsWithoutScore).toBe(1);
    const [low, high] = analysis.bins;
    expect(low).toMatchObject({ label: 'Q1 (least predictable)', items: 5, minimumScore: -10, maximumScore: -6 });
    expect(low?.gaps.map((gap) => [gap.testBudgetLabel, gap.sleepTimeAccuracy, gap.testTimeOnlyAccuracy])).toEqual([['verbosity 0', 0.2, 0]]);
    expect(low?.meanGap).toBeCloseTo(0.2, 12);
    expect(high).toMatchObject({ label: 'Q2 (most predictable)', items: 5, minimumScore: -5, maximumScore: -1 });
    expect(high?.gaps.map((gap) => [gap.testBudgetLabel, gap.gap, gap.sleepTimeRows])).toEqual([
      ['verbosity 0', 1, 5],
      ['verbosity 2', 1, 1],
    ]);
    expect(high?.meanGap).toBe(1);
    // Intervals of the mean gap, paired over the bin's items: 1 of 5 right (drawn 0 to 3 times in
    // the middle 95% of resamples) in the low bin; every sleep-time answer right in the high one.
    expect(low?.meanGapInterval).toEqual({ lower: 0, upper: 0.6, contexts: 5 });
    expect(high?.meanGapInterval).toEqual({ lower: 1, upper: 1, contexts: 5 });
  });

  it('compares the sleep budget it is asked for', () => {
    const { rows, scores } = scenario();
    const analysis = predictabilityGap(rows, scores, { binCount: 2, sleepBudget: { parallel: 5 } });
    expect(analysis.bins.map((bin) => bin.meanGap)).toEqual([0, 0]);
  });

  it('uses the scoring model with the most scores unless told', () => {
    const { rows, scores } = scenario();
    const other = scores.slice(0, 3).map((score) => ({ ...score, model: 'openai-compatible:other', logProbability: 5 }));
    expect(predictabilityGap(rows, [...scores, ...other], { binCount: 2 }).binnedItems).toBe(10);
    const chosen = predictabilityGap(rows, [...scores, ...other], { binCount: 2, scoringModel: 'openai-compatible:other' });
    expect(chosen.binnedItems).toBe(3);
  });

  it('reports empty bins with no gap', () => {
    const rows = ['a', 'b'].flatMap((itemId) => [
      makeRow({ itemId, condition: 'test-time-only', correct: false, testTokens: 1 }),
      makeRow({ itemId, condition: 'sleep-time', correct: true, testTokens: 1 }),
    ]);
    const scores = ['a', 'b'].map((itemId) => ({ dataset: 'gsm-symbolic-p1', itemId, model: 'm', logProbability: -2, queryTokens: 1 }));
    const analysis = predictabilityGap(rows, scores);
    expect(analysis.bins.map((bin) => bin.items)).toEqual([2, 0, 0, 0, 0]);
    expect(analysis.bins[1]).toMatchObject({ meanGap: null, meanGapInterval: null, minimumScore: null, gaps: [] });
    expect(analysis.bins[0]?.meanGap).toBe(1);
  });
});
