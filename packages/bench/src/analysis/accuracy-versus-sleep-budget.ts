/**
 * Analysis (b): accuracy against the sleep-time budget (k parallel runs, or sleep effort), one
 * series per test-time budget. Test-time-only rows at the same test-time budget give the
 * "no sleep" point at the start of each series, so the gain of the first sleep-time budget shows.
 */
import type { BenchResultRow, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';
import { accuracyIntervals, type AccuracyInterval, type AccuracyIntervals } from './accuracy-intervals.js';
import { compareSleepBudgets, compareTestBudgets, sleepBudgetKey, sleepBudgetLabel, testBudgetKey, testBudgetLabel } from './budgets.js';
import { groupBy, rowStatistics, type RowStatistics } from './row-statistics.js';

export interface SleepBudgetPoint extends RowStatistics {
  /** null: the test-time-only baseline. */
  sleepBudget: SleepTimeBudget | null;
  sleepBudgetLabel: string;
  /** Bootstrap interval of `accuracy` over the point's contexts. */
  accuracyInterval: AccuracyInterval;
}

export interface SleepBudgetSeries {
  testBudget: TestTimeBudget;
  testBudgetLabel: string;
  /** No sleep first, then cheapest sleep-time budget first. */
  points: SleepBudgetPoint[];
}

/** Series only for test-time budgets that have sleep-time rows. */
export function accuracyVersusSleepBudget(rows: readonly BenchResultRow[], intervals: AccuracyIntervals = accuracyIntervals()): SleepBudgetSeries[] {
  const relevant = rows.filter((row) => row.condition === 'sleep-time' || row.condition === 'test-time-only');
  const byTestBudget = groupBy(relevant, (row) => testBudgetKey(row.testBudget));
  const series: SleepBudgetSeries[] = [];
  for (const budgetRows of byTestBudget.values()) {
    if (!budgetRows.some((row) => row.condition === 'sleep-time')) continue;
    const testBudget = (budgetRows[0] as BenchResultRow).testBudget;
    const bySleepBudget = groupBy(budgetRows, (row) => (row.condition === 'test-time-only' ? 'none' : `sleep:${sleepBudgetKey(row.sleepBudget)}`));
    const points = [...bySleepBudget.values()].map((pointRows): SleepBudgetPoint => {
      const first = pointRows[0] as BenchResultRow;
      const sleepBudget = first.condition === 'test-time-only' ? null : first.sleepBudget;
      return {
        ...rowStatistics(pointRows),
        sleepBudget,
        sleepBudgetLabel: sleepBudgetLabel(sleepBudget),
        accuracyInterval: intervals.of(pointRows),
      };
    });
    points.sort((a, b) => compareSleepBudgets(a.sleepBudget, b.sleepBudget));
    series.push({ testBudget, testBudgetLabel: testBudgetLabel(testBudget), points });
  }
  return series.sort((a, b) => compareTestBudgets(a.testBudget, b.testBudget));
}
