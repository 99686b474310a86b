/**
 * Analysis (e): sleep-time compute against pass@k (k samples at the lowest test-time budget, right
 * if any sample is, i.e. an oracle verifier) at equal test-time tokens. For each pass@k point, the
 * sleep-time accuracy at the same average test-time tokens is read off the sleep-time Pareto front
 * (over every sleep-time budget), interpolated as in `pareto.ts`.
 */
import type { BenchResultRow } from '../bench-types.js';
import { accuracyIntervals, type AccuracyInterval, type AccuracyIntervals } from './accuracy-intervals.js';
import { cellKey, conditionSeries, type ConditionSeries, type SeriesPoint } from './accuracy-versus-tokens.js';
import { accuracyAtTokens, paretoFront, type AccuracyAtTokens, type FrontShare } from './pareto.js';
import { groupBy } from './row-statistics.js';

export interface PassAtKComparison {
  samples: number | null;
  passAtKTokens: number;
  passAtKAccuracy: number;
  passAtKInterval: AccuracyInterval;
  /** Sleep-time accuracy at `passAtKTokens`; null when every sleep-time point needs more tokens. */
  sleepTimeAccuracy: number | null;
  /** Its interval (of the mix of two front points when interpolated); null with no sleep-time accuracy. */
  sleepTimeInterval: AccuracyInterval | null;
  reading: AccuracyAtTokens['reading'];
  /** Sleep-time minus pass@k; null when there is no sleep-time accuracy to compare. */
  difference: number | null;
  /** Its interval, paired over the contexts of both; null with no difference. */
  differenceInterval: AccuracyInterval | null;
}

export interface SleepVersusPassAtK {
  passAtK: ConditionSeries[];
  sleepTime: ConditionSeries[];
  sleepTimeFront: SeriesPoint[];
  testTimeOnly: ConditionSeries | null;
  comparisons: PassAtKComparison[];
}

export function sleepTimeVersusPassAtK(rows: readonly BenchResultRow[], intervals: AccuracyIntervals = accuracyIntervals()): SleepVersusPassAtK {
  const series = conditionSeries(rows, intervals);
  const rowsByCell = groupBy(rows, cellKey);
  const cellRows = (point: SeriesPoint) => rowsByCell.get(point.cellKey) ?? [];
  const passAtK = series.filter((one) => one.condition === 'pass-at-k');
  const sleepTime = series.filter((one) => one.condition === 'sleep-time');
  const sleepTimeFront = paretoFront(sleepTime.flatMap((one) => one.points));
  const comparisons = passAtK.flatMap((one) =>
    one.points.map((point): PassAtKComparison => {
      const reading = accuracyAtTokens(sleepTimeFront, point.tokens);
      const terms = (shares: Array<FrontShare<SeriesPoint>>) => shares.map((share) => ({ rows: cellRows(share.point), weight: share.weight }));
      const compared = reading.accuracy !== null;
      return {
        samples: point.samples ?? null,
        passAtKTokens: point.tokens,
        passAtKAccuracy: point.accuracy,
        passAtKInterval: point.accuracyInterval,
        sleepTimeAccuracy: reading.accuracy,
        sleepTimeInterval: compared ? intervals.ofCombination(terms(reading.from)) : null,
        reading: reading.reading,
        difference: reading.accuracy === null ? null : reading.accuracy - point.accuracy,
        differenceInterval: compared ? intervals.ofCombination([...terms(reading.from), { rows: cellRows(point), weight: -1 }]) : null,
      };
    }),
  );
  return {
    passAtK,
    sleepTime,
    sleepTimeFront,
    testTimeOnly: series.find((one) => one.condition === 'test-time-only') ?? null,
    comparisons,
  };
}
