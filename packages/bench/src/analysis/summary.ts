/**
 * Summary figures: the per-cell table, the token reduction at equal accuracy, accuracy deltas at
 * matched budgets, error counts, and `analyzeResults`, which runs every analysis per experiment.
 */
import type { BenchCondition, BenchResultRow, PredictabilityRow, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';
import { accuracyIntervals, contextKey, type AccuracyInterval, type AccuracyIntervals } from './accuracy-intervals.js';
import { accuracyVersusSleepBudget, type SleepBudgetSeries } from './accuracy-versus-sleep-budget.js';
import {
  accuracyVersusTokens,
  cellKey,
  CONDITION_ORDER,
  seriesLabel,
  type AccuracyVersusTokens,
  type ConditionSeries,
  type SeriesPoint,
} from './accuracy-versus-tokens.js';
import {
  amortizedCostAnalysis,
  amortizedCostPerQuery,
  DEFAULT_MAX_QUERIES_PER_CONTEXT,
  DEFAULT_TEST_TOKEN_WEIGHT,
  type AmortizedCostAnalysis,
} from './amortized-cost.js';
import type { BootstrapOptions, BootstrapSettings } from './bootstrap.js';
import { compareSleepBudgets, compareTestBudgets, sleepBudgetLabel, testBudgetKey, testBudgetLabel } from './budgets.js';
import { claimRules, judgeTokenReduction, type ClaimJudgement, type ClaimRuleOptions, type ClaimRules } from './equal-accuracy-claim.js';
import { paretoFront, tokensToReachAccuracy, type FrontShare, type ReadingKind } from './pareto.js';
import { predictabilityGap, type PredictabilityAnalysis, type PredictabilityOptions } from './predictability-gap.js';
import { groupBy, groupIntoExperiments, rowStatistics, type RowStatistics } from './row-statistics.js';
import { sleepTimeVersusPassAtK, type SleepVersusPassAtK } from './sleep-versus-pass-at-k.js';

export interface SummaryRow extends RowStatistics {
  condition: BenchCondition;
  sleepBudget: SleepTimeBudget | null;
  sleepBudgetLabel: string;
  testBudget: TestTimeBudget;
  testBudgetLabel: string;
  samples: number | null;
  /** Bootstrap interval of `accuracy` over the cell's contexts. */
  accuracyInterval: AccuracyInterval;
}

/** One row per (condition, sleep-time budget, test-time budget, samples), in figure order. */
export function summaryTable(rows: readonly BenchResultRow[], intervals: AccuracyIntervals = accuracyIntervals()): SummaryRow[] {
  const cells = groupBy(rows, cellKey);
  const table = [...cells.values()].map((cellRows): SummaryRow => {
    const first = cellRows[0] as BenchResultRow;
    return {
      ...rowStatistics(cellRows),
      accuracyInterval: intervals.of(cellRows),
      condition: first.condition,
      sleepBudget: first.sleepBudget,
      sleepBudgetLabel: sleepBudgetLabel(first.sleepBudget),
      testBudget: first.testBudget,
      testBudgetLabel: testBudgetLabel(first.testBudget),
      samples: first.samples ?? null,
    };
  });
  return table.sort(
    (a, b) =>
      CONDITION_ORDER.indexOf(a.condition) - CONDITION_ORDER.indexOf(b.condition) ||
      compareSleepBudgets(a.sleepBudget, b.sleepBudget) ||
      compareTestBudgets(a.testBudget, b.testBudget) ||
      (a.samples ?? 0) - (b.samples ?? 0),
  );
}

export interface TokenReduction {
  sleepSeriesLabel: string;
  sleepBudget: SleepTimeBudget | null;
  testBudgetLabel: string;
  sleepTimeTokens: number;
  sleepTimeAccuracy: number;
  sleepTimeInterval: AccuracyInterval;
  /** Test-time tokens test-time only needs for the same accuracy (its Pareto front); null if never reached. */
  testTimeOnlyTokens: number | null;
  reading: ReadingKind;
  /**
   * What sleep-time is compared with on test-time only's front: the accuracy read there (for
   * `not-reached`, its most accurate point), the interval of that accuracy (of the mix of the two
   * points around it when interpolated), its tokens and the budgets of the points read. Null when
   * there is no front.
   */
  testTimeOnly: { accuracy: number; interval: AccuracyInterval; tokens: number; budgetLabels: string[] } | null;
  /** testTimeOnlyTokens / sleepTimeTokens: the test-time token reduction. An upper bound for `at-most`. */
  ratio: number | null;
  /** Cost per query of test-time only over sleep-time at equal accuracy, with N queries a context and weight t. */
  costRatio: number | null;
  /** Whether the data support stating the reduction (equal-accuracy-claim.ts). */
  judgement: ClaimJudgement;
}

export interface TokenReductionOptions {
  testTokenWeight?: number;
  queriesPerContext?: number;
  /** Default: `accuracyIntervals()`. */
  intervals?: AccuracyIntervals;
  claimRules?: ClaimRuleOptions;
}

/**
 * For every sleep-time point: how many test-time tokens test-time only needs to reach the same
 * accuracy, read off test-time only's Pareto front (see `tokensToReachAccuracy`), and the ratio to
 * sleep-time's own test-time tokens. Sleep-time tokens are not in this ratio (the paper's "test-time
 * compute"); `costRatio` adds them with the cost model at `queriesPerContext` queries a context.
 * `rows` are the rows `analysis` was made from: the intervals are resampled from them.
 */
export function tokenReductions(rows: readonly BenchResultRow[], analysis: AccuracyVersusTokens, options: TokenReductionOptions = {}): TokenReduction[] {
  const testTokenWeight = options.testTokenWeight ?? DEFAULT_TEST_TOKEN_WEIGHT;
  const queriesPerContext = options.queriesPerContext ?? DEFAULT_MAX_QUERIES_PER_CONTEXT;
  const intervals = options.intervals ?? accuracyIntervals();
  const rules = claimRules(options.claimRules);
  const baselineFront = paretoFront(analysis.series.filter((one) => one.condition === 'test-time-only').flatMap((one) => one.points));
  if (baselineFront.length === 0) return [];
  const rowsByCell = groupBy(rows, cellKey);
  const compared = (shares: Array<FrontShare<SeriesPoint>>): TokenReduction['testTimeOnly'] => {
    const interval = intervals.ofCombination(shares.map((share) => ({ rows: rowsByCell.get(share.point.cellKey) ?? [], weight: share.weight })));
    if (shares.length === 0 || interval === null) return null;
    const weighted = (value: (point: SeriesPoint) => number) => shares.reduce((sum, share) => sum + share.weight * value(share.point), 0);
    return {
      accuracy: weighted((point) => point.accuracy),
      interval,
      tokens: weighted((point) => point.tokens),
      budgetLabels: shares.map((share) => share.point.testBudgetLabel),
    };
  };
  return analysis.series
    .filter((one) => one.condition === 'sleep-time')
    .flatMap((one) =>
      one.points.map((point): TokenReduction => {
        const needed = tokensToReachAccuracy(baselineFront, point.accuracy);
        const testTimeOnly = compared(needed.from);
        const sleepCost = amortizedCostPerQuery(point.averageSleepTokensPerRun ?? 0, point.tokens, queriesPerContext, testTokenWeight);
        return {
          sleepSeriesLabel: one.label,
          sleepBudget: one.sleepBudget,
          testBudgetLabel: point.testBudgetLabel,
          sleepTimeTokens: point.tokens,
          sleepTimeAccuracy: point.accuracy,
          sleepTimeInterval: point.accuracyInterval,
          testTimeOnlyTokens: needed.tokens,
          reading: needed.reading,
          testTimeOnly,
          ratio: needed.tokens === null || point.tokens <= 0 ? null : needed.tokens / point.tokens,
          costRatio: needed.tokens === null || sleepCost <= 0 ? null : (testTokenWeight * needed.tokens) / sleepCost,
          judgement: judgeTokenReduction(
            {
              reading: needed.reading,
              sleepTime: { accuracy: point.accuracy, interval: point.accuracyInterval },
              testTimeOnly: testTimeOnly === null ? null : { accuracy: testTimeOnly.accuracy, interval: testTimeOnly.interval },
            },
            rules,
          ),
        };
      }),
    );
}

/** The headline reductions: each sleep-time budget at its cheapest test-time budget. */
export function headlineTokenReductions(reductions: readonly TokenReduction[], series: readonly ConditionSeries[]): TokenReduction[] {
  return series
    .filter((one) => one.condition === 'sleep-time')
    .flatMap((one) => {
      const cheapest = one.points[0];
      const match = reductions.find((reduction) => reduction.sleepSeriesLabel === one.label && reduction.testBudgetLabel === cheapest?.testBudgetLabel);
      return match === undefined ? [] : [match];
    });
}

export interface AccuracyDelta {
  condition: BenchCondition;
  seriesLabel: string;
  testBudgetLabel: string;
  accuracy: number;
  testTimeOnlyAccuracy: number;
  /** accuracy - testTimeOnlyAccuracy, at the same test-time budget. */
  delta: number;
  /** Bootstrap interval of `delta`, paired over the contexts of both cells. */
  interval: AccuracyInterval | null;
}

/**
 * Sleep-time (per sleep budget) and the context-only ablations against test-time only at matched
 * test-time budgets; `rows` are the rows `analysis` was made from.
 */
export function accuracyDeltas(
  rows: readonly BenchResultRow[],
  analysis: AccuracyVersusTokens,
  intervals: AccuracyIntervals = accuracyIntervals(),
): AccuracyDelta[] {
  const baseline = analysis.series.find((one) => one.condition === 'test-time-only');
  if (baseline === undefined) return [];
  const rowsByCell = groupBy(rows, cellKey);
  const baselineByBudget = new Map(baseline.points.map((point) => [testBudgetKey(point.testBudget), point]));
  return analysis.series
    // Sleep-time and the ablations; not pass@k, whose budget is its sample count.
    .filter((one) => one.condition !== 'test-time-only' && one.condition !== 'pass-at-k')
    .flatMap((one) =>
      one.points.flatMap((point): AccuracyDelta[] => {
        const matched = baselineByBudget.get(testBudgetKey(point.testBudget));
        if (matched === undefined) return [];
        return [
          {
            condition: one.condition,
            seriesLabel: one.label,
            testBudgetLabel: point.testBudgetLabel,
            accuracy: point.accuracy,
            testTimeOnlyAccuracy: matched.accuracy,
            delta: point.accuracy - matched.accuracy,
            interval: intervals.ofCombination([
              { rows: rowsByCell.get(point.cellKey) ?? [], weight: 1 },
              { rows: rowsByCell.get(matched.cellKey) ?? [], weight: -1 },
            ]),
          },
        ];
      }),
    );
}

export interface ErrorCount {
  condition: BenchCondition;
  seriesLabel: string;
  code: string;
  count: number;
  /** One message, to show what went wrong. */
  example: string;
}

export function errorCounts(rows: readonly BenchResultRow[]): ErrorCount[] {
  const failed = rows.filter((row) => row.error !== undefined);
  const groups = groupBy(failed, (row) => JSON.stringify([row.condition, seriesLabel(row.condition, row.sleepBudget), row.error?.code]));
  return [...groups.values()]
    .map((group): ErrorCount => {
      const first = group[0] as BenchResultRow & { error: { code: string; message: string } };
      return {
        condition: first.condition,
        seriesLabel: seriesLabel(first.condition, first.sleepBudget),
        code: first.error.code,
        count: group.length,
        example: first.error.message,
      };
    })
    .sort((a, b) => CONDITION_ORDER.indexOf(a.condition) - CONDITION_ORDER.indexOf(b.condition) || b.count - a.count);
}

/** Answers a limit cut short, per limit: they are graded as written, which is rarely right. */
export interface TruncationCount {
  limit: string;
  count: number;
}

export function truncationCounts(rows: readonly BenchResultRow[]): TruncationCount[] {
  const counts = new Map<string, number>();
  for (const row of rows) if (row.truncatedBy !== undefined) counts.set(row.truncatedBy, (counts.get(row.truncatedBy) ?? 0) + 1);
  return [...counts].map(([limit, count]) => ({ limit, count })).sort((a, b) => b.count - a.count);
}

export interface AnalysisOptions {
  /** `t`, the price of a test-time token in sleep-time tokens. Default 10. */
  testTokenWeight?: number;
  /** N for the analytical cost curves and the equal-accuracy cost ratio. Default 10. */
  maxQueriesPerContext?: number;
  predictability?: PredictabilityOptions;
  /** The bootstrap behind every accuracy interval. Default: 2,000 resamples, 95%, seed 0. */
  intervals?: BootstrapOptions;
  /** When a token saving may be stated. Default: accuracy at least 10%, at least 30 contexts a cell. */
  claimRules?: ClaimRuleOptions;
}

export interface ExperimentAnalysis {
  dataset: string;
  model: string;
  rows: number;
  /** The bootstrap behind every interval below. */
  intervals: BootstrapSettings;
  /**
   * What the intervals resample (accuracy-intervals.ts): contexts, each with all its rows; `item`
   * when every context has one question (then a context is an item), `context` when some have several.
   */
  resamplingUnit: 'item' | 'context';
  /** The rules `tokenReductions` were judged by. */
  claimRules: ClaimRules;
  summary: SummaryRow[];
  accuracyVersusTokens: AccuracyVersusTokens;
  accuracyVersusSleepBudget: SleepBudgetSeries[];
  amortizedCost: AmortizedCostAnalysis;
  /** null when no predictability rows were given. */
  predictability: PredictabilityAnalysis | null;
  passAtK: SleepVersusPassAtK;
  tokenReductions: TokenReduction[];
  headlineTokenReductions: TokenReduction[];
  accuracyDeltas: AccuracyDelta[];
  errorCounts: ErrorCount[];
  truncationCounts: TruncationCount[];
}

/** Every analysis, once per (dataset, model) in the rows. */
export function analyzeResults(
  rows: readonly BenchResultRow[],
  predictability: readonly PredictabilityRow[] | undefined,
  options: AnalysisOptions = {},
): ExperimentAnalysis[] {
  const rules = claimRules(options.claimRules);
  return groupIntoExperiments(rows).map((experiment) => {
    const intervals = accuracyIntervals(options.intervals);
    const versusTokens = accuracyVersusTokens(experiment.rows, intervals);
    const reductions = tokenReductions(experiment.rows, versusTokens, {
      ...(options.testTokenWeight === undefined ? {} : { testTokenWeight: options.testTokenWeight }),
      ...(options.maxQueriesPerContext === undefined ? {} : { queriesPerContext: options.maxQueriesPerContext }),
      intervals,
      claimRules: rules,
    });
    const scores = predictability?.filter((score) => score.dataset === experiment.dataset);
    return {
      dataset: experiment.dataset,
      model: experiment.model,
      rows: experiment.rows.length,
      intervals: intervals.settings,
      resamplingUnit: resamplingUnit(experiment.rows),
      claimRules: rules,
      summary: summaryTable(experiment.rows, intervals),
      accuracyVersusTokens: versusTokens,
      accuracyVersusSleepBudget: accuracyVersusSleepBudget(experiment.rows, intervals),
      amortizedCost: amortizedCostAnalysis(experiment.rows, {
        ...(options.testTokenWeight === undefined ? {} : { testTokenWeight: options.testTokenWeight }),
        ...(options.maxQueriesPerContext === undefined ? {} : { maxQueriesPerContext: options.maxQueriesPerContext }),
        intervals,
      }),
      predictability:
        scores === undefined || scores.length === 0 ? null : predictabilityGap(experiment.rows, scores, { ...options.predictability, intervals }),
      passAtK: sleepTimeVersusPassAtK(experiment.rows, intervals),
      tokenReductions: reductions,
      headlineTokenReductions: headlineTokenReductions(reductions, versusTokens.series),
      accuracyDeltas: accuracyDeltas(experiment.rows, versusTokens, intervals),
      errorCounts: errorCounts(experiment.rows),
      truncationCounts: truncationCounts(experiment.rows),
    };
  });
}

function resamplingUnit(rows: readonly BenchResultRow[]): ExperimentAnalysis['resamplingUnit'] {
  const questions = new Map<string, Set<string>>();
  for (const row of rows) {
    const key = contextKey(row);
    const items = questions.get(key) ?? new Set<string>();
    items.add(row.itemId);
    questions.set(key, items);
  }
  return [...questions.values()].some((items) => items.size > 1) ? 'context' : 'item';
}
