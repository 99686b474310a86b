/**
 * The SWE-Features analysis: mean F1 of the edited files against mean generated test-time tokens,
 * one series per condition (sleep-time: one per sleep-time budget), one point per step budget, with
 * each condition's Pareto front (the paper's figure for its agentic case study), and what the
 * headlines may say about it.
 *
 * F1 is a mean over rows (items x seeds). Its intervals are percentile bootstrap intervals over
 * items, each item drawn with all its rows (its seeds), as the accuracy intervals resample contexts;
 * differences at the same step budget and readings between two points of a front are resampled
 * paired. A token saving "for the same F1" follows the report's claim rules with F1 in place of
 * accuracy (equal-accuracy-claim.ts): F1 at least the floor, enough items in every cell compared,
 * and intervals that overlap; "test-time only never reaches it" needs the items and intervals apart.
 */
import type { SleepTimeBudget } from '../bench-types.js';
import type { SweFeaturesCondition } from '../swe-features/swe-features-grid.js';
import type { SweFeaturesResultRow } from '../swe-features/swe-features-result-row.js';
import { meanCombinationInterval, type AccuracyInterval, type MeanTerm } from './accuracy-intervals.js';
import { bootstrapSettings, type BootstrapOptions, type BootstrapSettings } from './bootstrap.js';
import { compareSleepBudgets, sleepBudgetKey, sleepBudgetLabel } from './budgets.js';
import { claimRules, judgeTokenReduction, type ClaimJudgement, type ClaimRuleOptions, type ClaimRules } from './equal-accuracy-claim.js';
import { paretoFront, tokensToReachAccuracy, type FrontShare, type ReadingKind } from './pareto.js';
import { groupBy, mean } from './row-statistics.js';

const CONDITION_ORDER: readonly SweFeaturesCondition[] = ['test-time-only', 'sleep-time'];
const CONDITION_LABELS: Readonly<Record<SweFeaturesCondition, string>> = { 'test-time-only': 'test-time only', 'sleep-time': 'sleep-time notes' };

/** One cell of the grid: a condition, a sleep-time budget and a step budget, over its items and seeds. */
export interface F1Point {
  cellKey: string;
  condition: SweFeaturesCondition;
  sleepBudget: SleepTimeBudget | null;
  stepBudget: number;
  /** "5 steps". */
  label: string;
  rows: number;
  items: number;
  /** Mean F1 (failed rows count 0), and its interval over items. */
  f1: number;
  f1Interval: AccuracyInterval;
  precision: number;
  recall: number;
  /** Mean generated test-time tokens (the coding agent's output tokens). */
  tokens: number;
  /** `f1`, under the name the Pareto helpers read. */
  accuracy: number;
  /** Mean steps used, and the share of rows whose agent called done. */
  averageStepsUsed: number;
  doneShare: number;
  /** Distinct sleep runs the rows used and their mean generated tokens (null for test-time only). */
  sleepRuns: number;
  averageSleepTokensPerRun: number | null;
  errors: number;
  /** Rows in which a limit cut a reply short. */
  truncated: number;
}

export interface F1Series {
  key: string;
  label: string;
  condition: SweFeaturesCondition;
  sleepBudget: SleepTimeBudget | null;
  /** Fewest steps first. */
  points: F1Point[];
}

/**
 * A sleep-time point against test-time only's Pareto front: the test-time tokens test-time only
 * needs for the same F1, as `TokenReduction` reads accuracies (summary.ts).
 */
export interface F1TokenReduction {
  sleepSeriesLabel: string;
  stepLabel: string;
  sleepTimeTokens: number;
  sleepTimeF1: number;
  sleepTimeInterval: AccuracyInterval;
  testTimeOnlyTokens: number | null;
  reading: ReadingKind;
  /** What was read on test-time only's front: its F1 there, that F1's interval, its tokens and the step budgets read. */
  testTimeOnly: { f1: number; interval: AccuracyInterval; tokens: number; stepLabels: string[] } | null;
  /** testTimeOnlyTokens / sleepTimeTokens. */
  ratio: number | null;
  judgement: ClaimJudgement;
}

/** Sleep-time against test-time only at the same step budget. */
export interface F1Delta {
  seriesLabel: string;
  stepLabel: string;
  f1: number;
  testTimeOnlyF1: number;
  delta: number;
  /** Paired over the items of both cells. */
  interval: AccuracyInterval | null;
}

export interface SweFeaturesAnalysis {
  dataset: string;
  model: string;
  rows: number;
  items: number;
  series: F1Series[];
  /** Test-time only's and sleep-time's (over all its sleep budgets) Pareto fronts. */
  fronts: Array<{ condition: SweFeaturesCondition; label: string; points: F1Point[] }>;
  /** Every sleep-time point against test-time only's front. */
  reductions: F1TokenReduction[];
  deltas: F1Delta[];
  errors: number;
  truncated: number;
  intervals: BootstrapSettings;
  claimRules: ClaimRules;
}

export interface SweFeaturesAnalysisOptions {
  intervals?: BootstrapOptions;
  claimRules?: ClaimRuleOptions;
}

/** "5 steps". */
export function stepLabel(steps: number): string {
  return `${steps} step${steps === 1 ? '' : 's'}`;
}

export function f1SeriesLabel(condition: SweFeaturesCondition, sleepBudget: SleepTimeBudget | null): string {
  return sleepBudget === null ? CONDITION_LABELS[condition] : `${CONDITION_LABELS[condition]} (${sleepBudgetLabel(sleepBudget)})`;
}

const f1Measure = { unitOf: (row: SweFeaturesResultRow) => JSON.stringify([row.dataset, row.itemId]), valueOf: (row: SweFeaturesResultRow) => row.f1 };

function seriesKeyOf(row: Pick<SweFeaturesResultRow, 'condition' | 'sleepBudget'>): string {
  return JSON.stringify([row.condition, sleepBudgetKey(row.sleepBudget)]);
}

function cellKeyOf(row: SweFeaturesResultRow): string {
  return JSON.stringify([row.condition, sleepBudgetKey(row.sleepBudget), row.stepBudget]);
}

/** One analysis per (dataset, model), in order of first appearance. */
export function analyzeSweFeaturesResults(rows: readonly SweFeaturesResultRow[], options: SweFeaturesAnalysisOptions = {}): SweFeaturesAnalysis[] {
  const settings = bootstrapSettings(options.intervals);
  const rules = claimRules(options.claimRules);
  return [...groupBy(rows, (row) => JSON.stringify([row.dataset, row.model])).values()].map((experiment) => analyzeExperiment(experiment, settings, rules));
}

function analyzeExperiment(rows: readonly SweFeaturesResultRow[], settings: BootstrapSettings, rules: ClaimRules): SweFeaturesAnalysis {
  const first = rows[0] as SweFeaturesResultRow;
  const interval = (terms: ReadonlyArray<MeanTerm<SweFeaturesResultRow>>) => meanCombinationInterval(terms, f1Measure, settings);
  const rowsByCell = groupBy(rows, cellKeyOf);
  const series: F1Series[] = [...groupBy(rows, seriesKeyOf).values()]
    .map((seriesRows) => {
      const head = seriesRows[0] as SweFeaturesResultRow;
      const points = [...groupBy(seriesRows, cellKeyOf).values()].map((cellRows) => f1Point(cellRows, interval)).sort((a, b) => a.stepBudget - b.stepBudget);
      return { key: seriesKeyOf(head), label: f1SeriesLabel(head.condition, head.sleepBudget), condition: head.condition, sleepBudget: head.sleepBudget, points };
    })
    .sort((a, b) => CONDITION_ORDER.indexOf(a.condition) - CONDITION_ORDER.indexOf(b.condition) || compareSleepBudgets(a.sleepBudget, b.sleepBudget));

  const fronts = CONDITION_ORDER.flatMap((condition) => {
    const points = series.filter((one) => one.condition === condition).flatMap((one) => one.points);
    return points.length === 0 ? [] : [{ condition, label: `${CONDITION_LABELS[condition]} Pareto front`, points: paretoFront(points) }];
  });

  const baselineFront = fronts.find((front) => front.condition === 'test-time-only')?.points ?? [];
  const compared = (shares: Array<FrontShare<F1Point>>): F1TokenReduction['testTimeOnly'] => {
    const mixed = interval(shares.map((share) => ({ rows: rowsByCell.get(share.point.cellKey) ?? [], weight: share.weight })));
    if (shares.length === 0 || mixed === null) return null;
    const weighted = (value: (point: F1Point) => number) => shares.reduce((sum, share) => sum + share.weight * value(share.point), 0);
    return { f1: weighted((point) => point.f1), interval: mixed, tokens: weighted((point) => point.tokens), stepLabels: shares.map((share) => share.point.label) };
  };
  const reductions =
    baselineFront.length === 0
      ? []
      : series
          .filter((one) => one.condition === 'sleep-time')
          .flatMap((one) =>
            one.points.map((point): F1TokenReduction => {
              const needed = tokensToReachAccuracy(baselineFront, point.f1);
              const testTimeOnly = compared(needed.from);
              return {
                sleepSeriesLabel: one.label,
                stepLabel: point.label,
                sleepTimeTokens: point.tokens,
                sleepTimeF1: point.f1,
                sleepTimeInterval: point.f1Interval,
                testTimeOnlyTokens: needed.tokens,
                reading: needed.reading,
                testTimeOnly,
                ratio: needed.tokens === null || point.tokens <= 0 ? null : needed.tokens / point.tokens,
                judgement: judgeTokenReduction(
                  {
                    reading: needed.reading,
                    sleepTime: { accuracy: point.f1, interval: point.f1Interval },
                    testTimeOnly: testTimeOnly === null ? null : { accuracy: testTimeOnly.f1, interval: testTimeOnly.interval },
                  },
                  rules,
                ),
              };
            }),
          );

  const baseline = series.find((one) => one.condition === 'test-time-only');
  const baselineByStep = new Map((baseline?.points ?? []).map((point) => [point.stepBudget, point]));
  const deltas = series
    .filter((one) => one.condition === 'sleep-time')
    .flatMap((one) =>
      one.points.flatMap((point): F1Delta[] => {
        const matched = baselineByStep.get(point.stepBudget);
        if (matched === undefined) return [];
        return [
          {
            seriesLabel: one.label,
            stepLabel: point.label,
            f1: point.f1,
            testTimeOnlyF1: matched.f1,
            delta: point.f1 - matched.f1,
            interval: interval([
              { rows: rowsByCell.get(point.cellKey) ?? [], weight: 1 },
              { rows: rowsByCell.get(matched.cellKey) ?? [], weight: -1 },
            ]),
          },
        ];
      }),
    );

  return {
    dataset: first.dataset,
    model: first.model,
    rows: rows.length,
    items: new Set(rows.map(f1Measure.unitOf)).size,
    series,
    fronts,
    reductions,
    deltas,
    errors: rows.filter((row) => row.error !== undefined).length,
    truncated: rows.filter((row) => row.truncatedBy !== undefined).length,
    intervals: settings,
    claimRules: rules,
  };
}

function f1Point(rows: readonly SweFeaturesResultRow[], interval: (terms: ReadonlyArray<MeanTerm<SweFeaturesResultRow>>) => AccuracyInterval | null): F1Point {
  const head = rows[0] as SweFeaturesResultRow;
  const average = (value: (row: SweFeaturesResultRow) => number) => mean(rows.map(value)) ?? 0;
  const sleepRuns = new Map<string, number>();
  rows.forEach((row, index) => {
    if (row.sleepUsage !== null) sleepRuns.set(row.sleepRunKey ?? `row:${row.key}:${index}`, row.sleepUsage.outputTokens);
  });
  const f1 = average((row) => row.f1);
  return {
    cellKey: cellKeyOf(head),
    condition: head.condition,
    sleepBudget: head.sleepBudget,
    stepBudget: head.stepBudget,
    label: stepLabel(head.stepBudget),
    rows: rows.length,
    items: new Set(rows.map(f1Measure.unitOf)).size,
    f1,
    f1Interval: interval([{ rows, weight: 1 }]) ?? { lower: 0, upper: 0, contexts: 0 },
    precision: average((row) => row.precision),
    recall: average((row) => row.recall),
    tokens: average((row) => row.testUsage.outputTokens),
    accuracy: f1,
    averageStepsUsed: average((row) => row.stepsUsed),
    doneShare: average((row) => (row.stopReason === 'done' ? 1 : 0)),
    sleepRuns: sleepRuns.size,
    averageSleepTokensPerRun: mean([...sleepRuns.values()]),
    errors: rows.filter((row) => row.error !== undefined).length,
    truncated: rows.filter((row) => row.truncatedBy !== undefined).length,
  };
}
