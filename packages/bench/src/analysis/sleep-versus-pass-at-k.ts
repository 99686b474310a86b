/**
 * Analysis (e): sleep-time compute against pass@k (k samples at the lowest test-time budget, right
 * if any sample is, i.e. an oracle verifier) at equal test-time tokens. For each pass@k point, the
 * sleep-time accuracy at the same average test-time tokens is read off the sleep-time Pareto front
 * (over every sleep-time budget), interpolated as in `pareto.ts`.
 */
import type { BenchResultRow } from '../bench-types.js';
import { conditionSeries, type ConditionSeries, type SeriesPoint } from './accuracy-versus-tokens.js';
import { accuracyAtTokens, paretoFront, type AccuracyAtTokens } from './pareto.js';

export interface PassAtKComparison {
  samples: number | null;
  passAtKTokens: number;
  passAtKAccuracy: number;
  /** Sleep-time accuracy at `passAtKTokens`; null when every sleep-time point needs more tokens. */
  sleepTimeAccuracy: number | null;
  reading: AccuracyAtTokens['reading'];
  /** Sleep-time minus pass@k; null when there is no sleep-time accuracy to compare. */
  difference: number | null;
}

export interface SleepVersusPassAtK {
  passAtK: ConditionSeries[];
  sleepTime: ConditionSeries[];
  sleepTimeFront: SeriesPoint[];
  testTimeOnly: ConditionSeries | null;
  comparisons: PassAtKComparison[];
}

export function sleepTimeVersusPassAtK(rows: readonly BenchResultRow[]): SleepVersusPassAtK {
  const series = conditionSeries(rows);
  const passAtK = series.filter((one) => one.condition === 'pass-at-k');
  const sleepTime = series.filter((one) => one.condition === 'sleep-time');
  const sleepTimeFront = paretoFront(sleepTime.flatMap((one) => one.points));
  const comparisons = passAtK.flatMap((one) =>
    one.points.map((point): PassAtKComparison => {
      const reading = accuracyAtTokens(sleepTimeFront, point.tokens);
      return {
        samples: point.samples ?? null,
        passAtKTokens: point.tokens,
        passAtKAccuracy: point.accuracy,
        sleepTimeAccuracy: reading.accuracy,
        reading: reading.reading,
        difference: reading.accuracy === null ? null : reading.accuracy - point.accuracy,
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
