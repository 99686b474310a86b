/** The summary figures of one experiment as plain sentences, for both the HTML page and the markdown. */
import type { ExperimentAnalysis, TokenReduction } from '../analysis/index.js';
import { formatPercent, formatPoints, formatRatio, formatTokens } from './format.js';

export const TOKEN_REDUCTION_METHOD =
  'Token reduction at equal accuracy: for a sleep-time configuration at its cheapest test-time budget, take its accuracy and ' +
  'read off test-time only’s Pareto front (its points that no cheaper point matches) how many test-time tokens test-time only ' +
  'needs for that accuracy, interpolating linearly between the two front points around it (mixing those two budgets query by ' +
  'query reaches exactly that point); the reduction is those tokens over sleep-time’s own test-time tokens. Sleep-time tokens ' +
  'are not in this ratio (they are in the cost ratio). If test-time only’s cheapest budget is already as accurate, the ratio ' +
  'is an upper bound; if no budget is, there is no ratio.';

export interface HeadlineGroup {
  heading: string;
  sentences: string[];
}

/** The summary figures in groups; a group with nothing to say is left out. */
export function headlineGroups(analysis: ExperimentAnalysis, options: { queriesPerContext: number; testTokenWeight: number }): HeadlineGroup[] {
  const groups: HeadlineGroup[] = [];
  const add = (heading: string, sentences: string[]) => {
    if (sentences.length > 0) groups.push({ heading, sentences });
  };
  add(
    'Test-time tokens at equal accuracy',
    analysis.headlineTokenReductions.length === 0
      ? ['Needs both sleep-time and test-time-only rows.']
      : analysis.headlineTokenReductions.map((reduction) => tokenReductionSentence(reduction, options)),
  );
  add(
    'Accuracy against test-time only at the same test-time budget',
    [...groupDeltas(analysis)].map(
      ([label, deltas]) => `${label}: ${deltas.map((delta) => `${formatPoints(delta.delta)} at ${delta.testBudgetLabel}`).join(', ')}.`,
    ),
  );
  add('Cost per query', costSentences(analysis));
  add('Against pass@k', passAtKSentences(analysis));
  add('Errors', [errorSentence(analysis)]);
  return groups;
}

function costSentences(analysis: ExperimentAnalysis): string[] {
  const sentences: string[] = [];

  const cost = analysis.amortizedCost;
  const baseline = cost.series.find((one) => one.kind === 'analytical' && one.condition === 'test-time-only');
  const lastIndex = (baseline?.points.length ?? 0) - 1;
  const baselineCost = baseline?.points[lastIndex];
  if (baseline !== undefined && baselineCost !== undefined) {
    for (const one of cost.series.filter((series) => series.kind === 'analytical' && series.condition === 'sleep-time')) {
      const point = one.points[lastIndex];
      if (point === undefined) continue;
      const ratio = point.costPerQuery > 0 ? ` (test-time only / sleep-time: ${formatRatio(baselineCost.costPerQuery / point.costPerQuery)})` : '';
      sentences.push(
        `N = ${point.queriesPerContext} queries a context, t = ${cost.testTokenWeight}, test-time budget ${cost.testBudgetLabel}: ` +
          `${one.label} ${formatTokens(point.costPerQuery)}, test-time only ${formatTokens(baselineCost.costPerQuery)}${ratio}; ` +
          `accuracy ${formatPercent(one.accuracy)} against ${formatPercent(baseline.accuracy)}.`,
      );
    }
  }
  return sentences;
}

function passAtKSentences(analysis: ExperimentAnalysis): string[] {
  const sentences: string[] = [];

  for (const comparison of analysis.passAtK.comparisons) {
    const name = comparison.samples === null ? 'pass@k' : `pass@${comparison.samples}`;
    sentences.push(
      comparison.sleepTimeAccuracy === null
        ? `${name}: ${formatPercent(comparison.passAtKAccuracy)} with ${formatTokens(comparison.passAtKTokens)} test-time tokens; every sleep-time point uses more tokens.`
        : `${name}: ${formatPercent(comparison.passAtKAccuracy)} with ${formatTokens(comparison.passAtKTokens)} test-time tokens; sleep-time at the same tokens ` +
            `${formatPercent(comparison.sleepTimeAccuracy)} (${formatPoints(comparison.difference ?? 0)}).`,
    );
  }
  return sentences;
}

function errorSentence(analysis: ExperimentAnalysis): string {
  const errors = analysis.errorCounts.reduce((sum, error) => sum + error.count, 0);
  const failed =
    errors === 0
      ? `No row failed (${analysis.rows} rows).`
      : `${errors} of ${analysis.rows} rows failed after retries and count as wrong: ` +
        analysis.errorCounts.map((error) => `${error.seriesLabel} ${error.code} ×${error.count}`).join(', ') +
        '.';
  const truncated = analysis.truncationCounts.reduce((sum, count) => sum + count.count, 0);
  if (truncated === 0) return failed;
  return (
    `${failed} ${truncated} of ${analysis.rows} answers were cut short by a limit (` +
    analysis.truncationCounts.map((count) => `${count.limit} ×${count.count}`).join(', ') +
    ') and are graded as written.'
  );
}

function tokenReductionSentence(reduction: TokenReduction, options: { queriesPerContext: number; testTokenWeight: number }): string {
  const start =
    `${reduction.sleepSeriesLabel} at ${reduction.testBudgetLabel}: ${formatPercent(reduction.sleepTimeAccuracy)} with ` +
    `${formatTokens(reduction.sleepTimeTokens)} test-time tokens a query`;
  const cost =
    reduction.costRatio === null
      ? ''
      : ` Counting sleep-time tokens too (N = ${options.queriesPerContext}, t = ${options.testTokenWeight}), test-time only costs ${formatRatio(reduction.costRatio)} as much per query.`;
  switch (reduction.reading) {
    case 'not-reached':
      return `${start}; test-time only never reaches that accuracy at any budget run.`;
    case 'at-most':
      return (
        `${start}; test-time only is already as accurate at its cheapest budget (${formatTokens(reduction.testTimeOnlyTokens ?? 0)} tokens), ` +
        `so the reduction is at most ${reduction.ratio === null ? '—' : formatRatio(reduction.ratio)}.${cost}`
      );
    default:
      return (
        `${start}; test-time only needs ${formatTokens(reduction.testTimeOnlyTokens ?? 0)} for the same accuracy ` +
        `(${reduction.reading === 'measured' ? 'a measured point' : 'interpolated on its Pareto front'}): ` +
        `${reduction.ratio === null ? 'no ratio (sleep-time used 0 tokens)' : `${formatRatio(reduction.ratio)} fewer test-time tokens`}.${cost}`
      );
  }
}

function groupDeltas(analysis: ExperimentAnalysis): Map<string, ExperimentAnalysis['accuracyDeltas']> {
  const groups = new Map<string, ExperimentAnalysis['accuracyDeltas']>();
  for (const delta of analysis.accuracyDeltas) {
    const group = groups.get(delta.seriesLabel) ?? [];
    group.push(delta);
    groups.set(delta.seriesLabel, group);
  }
  return groups;
}
