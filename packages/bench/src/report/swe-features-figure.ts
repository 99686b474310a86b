/**
 * Figure (f), SWE-Features: mean F1 of the files the coding agent edited (against the files the
 * real change touched) against its mean generated test-time tokens, one line per condition (the
 * notes: one per sleep-time budget), one point per step budget, with the Pareto fronts of test-time
 * only and of sleep-time, and each point's bootstrap interval over items.
 */
import type { SweFeaturesAnalysis } from '../analysis/index.js';
import { definition, DODGE_NOTE, FIGURE_TITLES, SLEEP_TIME_COLORS, TEST_TIME_ONLY_COLOR, tokenScoreChart, type FigureDefinition } from './figure-specs.js';
import { formatConfidence, formatInterval, formatPercent, formatTokens } from './format.js';

export const SWE_FEATURES_NO_DATA_NOTE =
  'no data: the results have no SWE-Features rows. Build items with `sleeptime data swe-features --repo PATH -o items.jsonl`, run `sleeptime bench --data items.jsonl --steps 5,10,20`, then `sleeptime report` on its results file.';

export function sweFeaturesFigure(analysis: SweFeaturesAnalysis, named: (model: string) => string): FigureDefinition {
  const confidence = formatConfidence(analysis.intervals.confidence);
  const caption =
    'One line per condition (the sleep-time notes: one per sleep-time budget), one point per step budget N of the coding agent (it sees [Step: i/N] ' +
    'each turn and stops at N or when it says it is done); x is the mean number of tokens the coding agent generated per task (output tokens, ' +
    'reasoning included; the sleep-time run that wrote the notes is not counted here, it is in the table), y the mean F1 of the set of files it ' +
    'changed against the files the real change touched (a failed run scores 0). Grey: the Pareto fronts of test-time only and of sleep-time over ' +
    `all its budgets. Bars: ${confidence} bootstrap intervals of the mean F1, resampling items (${analysis.intervals.resamples.toLocaleString('en-US')} resamples). ${DODGE_NOTE}`;
  if (analysis.series.length === 0) return definition('f', caption, null, SWE_FEATURES_NO_DATA_NOTE);
  let sleepIndex = 0;
  const spec = tokenScoreChart({
    title: FIGURE_TITLES.f,
    subtitle: `${analysis.dataset} · ${named(analysis.model)} · ${analysis.items} item${analysis.items === 1 ? '' : 's'}`,
    scoreTitle: 'mean F1 of the edited files',
    tokensTitle: 'mean generated test-time tokens per task',
    series: analysis.series.map((one) => ({
      label: one.label,
      color: one.condition === 'test-time-only' ? TEST_TIME_ONLY_COLOR : (SLEEP_TIME_COLORS[sleepIndex++ % SLEEP_TIME_COLORS.length] as string),
      labelPoints: true,
      points: one.points.map((point) => ({
        source: point,
        tokens: point.tokens,
        score: point.f1,
        interval: point.f1Interval,
        label: point.label,
        shortLabel: `N=${point.stepBudget}`,
        rows: point.rows,
        description: `${one.label}, ${point.label}: F1 ${formatPercent(point.f1)} (CI ${formatInterval(point.f1Interval)}) with ${formatTokens(point.tokens)} test-time tokens`,
      })),
    })),
    fronts: analysis.fronts.map((front) => ({ label: front.label, points: front.points })),
  });
  return definition('f', caption, spec);
}
