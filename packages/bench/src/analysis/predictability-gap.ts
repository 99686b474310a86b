/**
 * Analysis (d): does sleep-time compute help more when the query is more predictable from the
 * context? Items are scored by log p(query | context) (PredictabilityRow), binned into quantiles
 * of that score, and in each bin the accuracy of sleep-time minus that of test-time only is taken
 * at each test-time budget both were run at, then averaged over those budgets.
 */
import type { BenchResultRow, PredictabilityRow, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';
import { accuracyIntervals, type AccuracyInterval, type AccuracyIntervals, type AccuracyTerm } from './accuracy-intervals.js';
import { compareSleepBudgets, compareTestBudgets, sleepBudgetKey, sleepBudgetLabel, testBudgetKey, testBudgetLabel } from './budgets.js';
import { groupBy, mean, rowStatistics } from './row-statistics.js';

export const DEFAULT_QUANTILE_BINS = 5;

/**
 * Quantile bin (0 = lowest scores) of each score, by rank: the item at rank r of n goes to bin
 * floor(r * bins / n). Equal scores must share a bin, so every tied item takes the bin of the
 * first of them; bins can then differ in size, and one can be empty when many items tie.
 */
export function assignQuantileBins(scores: readonly number[], binCount: number = DEFAULT_QUANTILE_BINS): number[] {
  if (!Number.isInteger(binCount) || binCount < 1) throw new RangeError(`binCount must be a positive integer, got ${binCount}`);
  for (const score of scores) if (Number.isNaN(score)) throw new RangeError('a score is NaN');
  const order = scores.map((score, index) => ({ score, index })).sort((a, b) => a.score - b.score || a.index - b.index);
  const bins = new Array<number>(scores.length);
  let firstRankOfScore = 0;
  order.forEach((entry, rank) => {
    if (rank > 0 && entry.score !== (order[rank - 1] as { score: number }).score) firstRankOfScore = rank;
    bins[entry.index] = Math.min(binCount - 1, Math.floor((firstRankOfScore * binCount) / scores.length));
  });
  return bins;
}

export interface PredictabilityOptions {
  /** Default 5. */
  binCount?: number;
  /** Which sleep-time rows to compare. Default: the cheapest sleep-time budget in the rows. */
  sleepBudget?: SleepTimeBudget;
  /** Which scoring model's rows to use when there are several. Default: the one that scored the most items. */
  scoringModel?: string;
  /** The bootstrap behind each bin's interval. Default: `accuracyIntervals()`. */
  intervals?: AccuracyIntervals;
}

export interface BudgetGap {
  testBudget: TestTimeBudget;
  testBudgetLabel: string;
  sleepTimeAccuracy: number;
  testTimeOnlyAccuracy: number;
  /** Sleep-time accuracy minus test-time-only accuracy. */
  gap: number;
  sleepTimeRows: number;
  testTimeOnlyRows: number;
}

export interface PredictabilityBin {
  /** 0 = least predictable (lowest log-probability). */
  index: number;
  label: string;
  items: number;
  /** null for an empty bin. */
  minimumScore: number | null;
  maximumScore: number | null;
  /** One entry per test-time budget with rows of both conditions in this bin. */
  gaps: BudgetGap[];
  /** Mean of `gaps` (each budget weighs the same); null when there is none. */
  meanGap: number | null;
  /**
   * Bootstrap interval of `meanGap` over the bin's contexts, paired (the same contexts drawn for
   * both conditions and every budget); null when there is no gap.
   */
  meanGapInterval: AccuracyInterval | null;
}

export interface PredictabilityAnalysis {
  scoringModel: string | null;
  sleepBudget: SleepTimeBudget | null;
  sleepBudgetLabel: string | null;
  /** Items with a score and rows of both conditions at a shared test-time budget: the ones binned. */
  binnedItems: number;
  /** Items in both conditions' rows that have no score. */
  itemsWithoutScore: number;
  bins: PredictabilityBin[];
}

export function predictabilityGap(
  rows: readonly BenchResultRow[],
  predictability: readonly PredictabilityRow[],
  options: PredictabilityOptions = {},
): PredictabilityAnalysis {
  const binCount = options.binCount ?? DEFAULT_QUANTILE_BINS;
  const intervals = options.intervals ?? accuracyIntervals();
  const sleepBudget = options.sleepBudget ?? cheapestSleepBudget(rows);
  const scoringModel = options.scoringModel ?? modelWithMostScores(predictability);
  const empty: PredictabilityAnalysis = {
    scoringModel,
    sleepBudget,
    sleepBudgetLabel: sleepBudget === null ? null : sleepBudgetLabel(sleepBudget),
    binnedItems: 0,
    itemsWithoutScore: 0,
    bins: [],
  };
  if (sleepBudget === null) return empty;

  const sleepKey = sleepBudgetKey(sleepBudget);
  const compared = rows.filter(
    (row) => row.condition === 'test-time-only' || (row.condition === 'sleep-time' && sleepBudgetKey(row.sleepBudget) === sleepKey),
  );
  const sharedBudgets = testBudgetsWithBothConditions(compared);
  const matched = compared.filter((row) => sharedBudgets.has(testBudgetKey(row.testBudget)));

  const scoreByItem = new Map<string, number>();
  for (const score of predictability) {
    if (score.model !== scoringModel) continue;
    scoreByItem.set(itemKey(score.dataset, score.itemId), score.logProbability);
  }
  const rowsByItem = groupBy(matched, (row) => itemKey(row.dataset, row.itemId));
  const itemsInBoth = [...rowsByItem.entries()].filter(
    ([, itemRows]) => itemRows.some((row) => row.condition === 'sleep-time') && itemRows.some((row) => row.condition === 'test-time-only'),
  );
  const scored = itemsInBoth.filter(([key]) => scoreByItem.has(key));
  const scores = scored.map(([key]) => scoreByItem.get(key) as number);
  const binOfItem = assignQuantileBins(scores, binCount);

  const bins: PredictabilityBin[] = [];
  for (let index = 0; index < binCount; index += 1) {
    const members = scored.filter((_, position) => binOfItem[position] === index);
    const memberScores = members.map(([key]) => scoreByItem.get(key) as number);
    const binRows = members.flatMap(([, itemRows]) => itemRows);
    const compared = budgetComparisons(binRows);
    const gaps = compared.map((comparison) => comparison.gap);
    // The mean gap is a weighted sum of accuracies: +1/B for sleep-time's, -1/B for test-time only's, at each of B budgets.
    const terms: AccuracyTerm[] = compared.flatMap((comparison) => [
      { rows: comparison.sleepRows, weight: 1 / compared.length },
      { rows: comparison.baselineRows, weight: -1 / compared.length },
    ]);
    bins.push({
      index,
      label: quantileLabel(index, binCount),
      items: members.length,
      minimumScore: memberScores.length === 0 ? null : Math.min(...memberScores),
      maximumScore: memberScores.length === 0 ? null : Math.max(...memberScores),
      gaps,
      meanGap: mean(gaps.map((gap) => gap.gap)),
      meanGapInterval: terms.length === 0 ? null : intervals.ofCombination(terms),
    });
  }
  return { ...empty, binnedItems: scored.length, itemsWithoutScore: itemsInBoth.length - scored.length, bins };
}

interface BudgetComparison {
  gap: BudgetGap;
  sleepRows: BenchResultRow[];
  baselineRows: BenchResultRow[];
}

/** One comparison per test-time budget with rows of both conditions, cheapest budget first. */
function budgetComparisons(binRows: readonly BenchResultRow[]): BudgetComparison[] {
  const comparisons: BudgetComparison[] = [];
  for (const budgetRows of groupBy(binRows, (row) => testBudgetKey(row.testBudget)).values()) {
    const sleepRows = budgetRows.filter((row) => row.condition === 'sleep-time');
    const baselineRows = budgetRows.filter((row) => row.condition === 'test-time-only');
    if (sleepRows.length === 0 || baselineRows.length === 0) continue;
    const sleepTimeAccuracy = rowStatistics(sleepRows).accuracy;
    const testTimeOnlyAccuracy = rowStatistics(baselineRows).accuracy;
    const testBudget = (budgetRows[0] as BenchResultRow).testBudget;
    const gap: BudgetGap = {
      testBudget,
      testBudgetLabel: testBudgetLabel(testBudget),
      sleepTimeAccuracy,
      testTimeOnlyAccuracy,
      gap: sleepTimeAccuracy - testTimeOnlyAccuracy,
      sleepTimeRows: sleepRows.length,
      testTimeOnlyRows: baselineRows.length,
    };
    comparisons.push({ gap, sleepRows, baselineRows });
  }
  return comparisons.sort((a, b) => compareTestBudgets(a.gap.testBudget, b.gap.testBudget));
}

function quantileLabel(index: number, binCount: number): string {
  if (binCount > 1 && index === 0) return `Q1 (least predictable)`;
  if (binCount > 1 && index === binCount - 1) return `Q${binCount} (most predictable)`;
  return `Q${index + 1}`;
}

function testBudgetsWithBothConditions(rows: readonly BenchResultRow[]): Set<string> {
  const sleep = new Set(rows.filter((row) => row.condition === 'sleep-time').map((row) => testBudgetKey(row.testBudget)));
  return new Set(rows.filter((row) => row.condition === 'test-time-only' && sleep.has(testBudgetKey(row.testBudget))).map((row) => testBudgetKey(row.testBudget)));
}

function cheapestSleepBudget(rows: readonly BenchResultRow[]): SleepTimeBudget | null {
  const budgets = rows.filter((row) => row.condition === 'sleep-time' && row.sleepBudget !== null).map((row) => row.sleepBudget as SleepTimeBudget);
  return budgets.sort(compareSleepBudgets)[0] ?? null;
}

function modelWithMostScores(predictability: readonly PredictabilityRow[]): string | null {
  let best: { model: string; count: number } | null = null;
  for (const [model, scores] of groupBy(predictability, (score) => score.model)) {
    if (best === null || scores.length > best.count) best = { model, count: scores.length };
  }
  return best?.model ?? null;
}

function itemKey(dataset: string, itemId: string): string {
  return JSON.stringify([dataset, itemId]);
}
