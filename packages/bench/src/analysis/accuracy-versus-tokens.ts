/**
 * Analysis (a): accuracy against average generated test-time tokens, one series per condition (and
 * per sleep-time budget for sleep-time), one point per test-time budget (per sample count for
 * pass@k), with each condition's Pareto front.
 */
import type { BenchCondition, BenchResultRow, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';
import { accuracyIntervals, type AccuracyInterval, type AccuracyIntervals } from './accuracy-intervals.js';
import { compareSleepBudgets, compareTestBudgets, sleepBudgetKey, sleepBudgetLabel, testBudgetKey, testBudgetLabel } from './budgets.js';
import { paretoFront } from './pareto.js';
import { groupBy, rowStatistics, type RowStatistics } from './row-statistics.js';

/** The order of conditions in tables, series and legends. */
export const CONDITION_ORDER: readonly BenchCondition[] = ['test-time-only', 'sleep-time', 'context-only', 'sleep-time-no-question', 'pass-at-k'];

export const CONDITION_LABELS: Readonly<Record<BenchCondition, string>> = {
  'test-time-only': 'test-time only',
  'sleep-time': 'sleep-time',
  'context-only': 'context only',
  'sleep-time-no-question': 'sleep-time, no question',
  'pass-at-k': 'pass@k',
};

export interface SeriesPoint extends RowStatistics {
  /** The grid cell of the point's rows (`cellKey` of each of them). */
  cellKey: string;
  /** Bootstrap interval of `accuracy` over the cell's contexts (see accuracy-intervals.ts). */
  accuracyInterval: AccuracyInterval;
  testBudget: TestTimeBudget;
  testBudgetLabel: string;
  /** pass-at-k: the number of samples. */
  samples?: number;
  /** What the point is called in a figure: the test-time budget, or `pass@k` for pass-at-k. */
  label: string;
  /** `averageTestTokens`, under the name the Pareto helpers read. */
  tokens: number;
}

export interface ConditionSeries {
  key: string;
  label: string;
  condition: BenchCondition;
  sleepBudget: SleepTimeBudget | null;
  /** Cheapest test-time budget first (pass-at-k: fewest samples first). */
  points: SeriesPoint[];
}

export interface ConditionFront {
  condition: BenchCondition;
  label: string;
  /** Over every series of the condition (for sleep-time: every sleep-time budget). */
  points: SeriesPoint[];
}

export interface AccuracyVersusTokens {
  series: ConditionSeries[];
  fronts: ConditionFront[];
}

export function seriesKey(condition: BenchCondition, sleepBudget: SleepTimeBudget | null): string {
  return sleepBudget === null ? condition : `${condition}|${sleepBudgetKey(sleepBudget)}`;
}

export function seriesLabel(condition: BenchCondition, sleepBudget: SleepTimeBudget | null): string {
  return sleepBudget === null ? CONDITION_LABELS[condition] : `${CONDITION_LABELS[condition]} (${sleepBudgetLabel(sleepBudget)})`;
}

/** The grid cell a row belongs to: condition, sleep-time budget, test-time budget, pass@k samples. */
export function cellKey(row: BenchResultRow): string {
  return JSON.stringify([seriesKey(row.condition, row.sleepBudget), testBudgetKey(row.testBudget), row.samples ?? null]);
}

export function accuracyVersusTokens(rows: readonly BenchResultRow[], intervals: AccuracyIntervals = accuracyIntervals()): AccuracyVersusTokens {
  const series = conditionSeries(rows, intervals);
  const fronts: ConditionFront[] = [];
  for (const condition of CONDITION_ORDER) {
    const points = series.filter((one) => one.condition === condition).flatMap((one) => one.points);
    if (points.length > 0) fronts.push({ condition, label: `${CONDITION_LABELS[condition]} Pareto front`, points: paretoFront(points) });
  }
  return { series, fronts };
}

/** Every (condition, sleep-time budget) series, in condition order then cheapest sleep budget first. */
export function conditionSeries(rows: readonly BenchResultRow[], intervals: AccuracyIntervals = accuracyIntervals()): ConditionSeries[] {
  const bySeries = groupBy(rows, (row) => seriesKey(row.condition, row.sleepBudget));
  const series: ConditionSeries[] = [];
  for (const [key, seriesRows] of bySeries) {
    const first = seriesRows[0] as BenchResultRow;
    const byPoint = groupBy(seriesRows, cellKey);
    const points = [...byPoint.values()].map((pointRows) => seriesPoint(pointRows, intervals));
    points.sort((a, b) => compareTestBudgets(a.testBudget, b.testBudget) || (a.samples ?? 0) - (b.samples ?? 0));
    series.push({
      key,
      label: seriesLabel(first.condition, first.sleepBudget),
      condition: first.condition,
      sleepBudget: first.sleepBudget,
      points,
    });
  }
  return series.sort(
    (a, b) => CONDITION_ORDER.indexOf(a.condition) - CONDITION_ORDER.indexOf(b.condition) || compareSleepBudgets(a.sleepBudget, b.sleepBudget),
  );
}

function seriesPoint(rows: readonly BenchResultRow[], intervals: AccuracyIntervals): SeriesPoint {
  const first = rows[0] as BenchResultRow;
  const statistics = rowStatistics(rows);
  const budgetLabel = testBudgetLabel(first.testBudget);
  return {
    ...statistics,
    cellKey: cellKey(first),
    accuracyInterval: intervals.of(rows),
    testBudget: first.testBudget,
    testBudgetLabel: budgetLabel,
    ...(first.samples === undefined ? {} : { samples: first.samples }),
    label: first.samples === undefined ? budgetLabel : `pass@${first.samples}`,
    tokens: statistics.averageTestTokens,
  };
}
