import { describe, expect, it } from 'vitest';
import { accuracyCombinationInterval, accuracyInterval, accuracyIntervals } from './accuracy-intervals.js';
import { makeCell, makeRow } from './analysis-test-support.js';
import { DEFAULT_BOOTSTRAP_SETTINGS } from './bootstrap.js';

describe('accuracyInterval', () => {
  it('resamples contexts, not rows: ten questions about one context move together', () => {
    // 100 rows, half right, either as 100 independent items or as 10 contexts of 10 questions
    // (5 contexts all right, 5 all wrong). The second is only 10 independent draws: a far wider interval.
    const items = Array.from({ length: 100 }, (_, index) => makeRow({ itemId: `q${index}`, condition: 'sleep-time', correct: index < 50, testTokens: 1 }));
    const contexts = Array.from({ length: 100 }, (_, index) =>
      makeRow({ itemId: `q${index}`, contextGroup: `c${Math.floor(index / 10)}`, condition: 'sleep-time', correct: index < 50, testTokens: 1 }),
    );
    const byItem = accuracyInterval(items);
    const byContext = accuracyInterval(contexts);
    expect(byItem.contexts).toBe(100);
    expect(byContext.contexts).toBe(10);
    expect(byItem.upper - byItem.lower).toBeLessThan(0.25);
    expect(byContext.upper - byContext.lower).toBeGreaterThan(0.5);
  });

  it('keeps an item’s seeds together', () => {
    // 10 items, 3 seeds each: 30 rows but 10 units.
    const rows = [0, 1, 2].flatMap((seed) => makeCell('i', 10, 4, { condition: 'test-time-only', testTokens: 1, seed }));
    expect(accuracyInterval(rows).contexts).toBe(10);
    expect(accuracyInterval(rows)).toEqual(accuracyInterval(makeCell('i', 10, 4, { condition: 'test-time-only', testTokens: 1 })));
  });

  it('does not depend on the order of the rows', () => {
    const rows = makeCell('i', 30, 11, { condition: 'test-time-only', testTokens: 1 });
    expect(accuracyInterval([...rows].reverse())).toEqual(accuracyInterval(rows));
  });

  it('counts a failed row as wrong', () => {
    const rows = makeCell('i', 5, 5, { condition: 'test-time-only', testTokens: 1 }).map((row) => ({ ...row, error: { code: 'timeout', message: 'slow' } }));
    expect(accuracyInterval(rows)).toEqual({ lower: 0, upper: 0, contexts: 5 });
    expect(accuracyInterval([])).toEqual({ lower: 0, upper: 0, contexts: 0 });
  });
});

describe('accuracyCombinationInterval', () => {
  it('resamples a difference paired: the same contexts on both sides', () => {
    // Both conditions right on the same 10 of 20 items: the difference is 0 on every resample.
    const sleep = makeCell('i', 20, 10, { condition: 'sleep-time', testTokens: 1 });
    const baseline = makeCell('i', 20, 10, { condition: 'test-time-only', testTokens: 1 });
    expect(accuracyCombinationInterval([{ rows: sleep, weight: 1 }, { rows: baseline, weight: -1 }])).toEqual({ lower: 0, upper: 0, contexts: 20 });
    // Right on different items: the difference varies.
    const other = makeCell('i', 20, 10, { condition: 'test-time-only', testTokens: 1 }).map((row, index) => ({ ...row, correct: index >= 10 }));
    const unpaired = accuracyCombinationInterval([{ rows: sleep, weight: 1 }, { rows: other, weight: -1 }]);
    expect(unpaired?.lower).toBeLessThan(-0.3);
    expect(unpaired?.upper).toBeGreaterThan(0.3);
  });

  it('weighs accuracies: the mix of two budgets', () => {
    const low = makeCell('i', 10, 0, { condition: 'test-time-only', testTokens: 1 });
    const high = makeCell('i', 10, 10, { condition: 'test-time-only', testTokens: 2 });
    expect(accuracyCombinationInterval([{ rows: low, weight: 0.25 }, { rows: high, weight: 0.75 }])).toEqual({ lower: 0.75, upper: 0.75, contexts: 10 });
    expect(accuracyCombinationInterval([{ rows: low, weight: 1 }, { rows: [], weight: 1 }])).toBeNull();
  });
});

describe('accuracyIntervals', () => {
  it('computes each interval once and gives the same as the plain functions', () => {
    const rows = makeCell('i', 25, 9, { condition: 'test-time-only', testTokens: 1 });
    const intervals = accuracyIntervals({ resamples: 500 });
    expect(intervals.settings).toEqual({ ...DEFAULT_BOOTSTRAP_SETTINGS, resamples: 500 });
    const first = intervals.of(rows);
    expect(first).toEqual(accuracyInterval(rows, intervals.settings));
    // The same rows in another order and array: the same, cached, object.
    expect(intervals.of([...rows].reverse())).toBe(first);
    expect(intervals.of(rows.slice(1))).not.toBe(first);
  });
});
