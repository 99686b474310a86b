/** The report's "Method" section: how the token reduction is read, what the intervals are, when a headline claims a saving. */
import type { BootstrapSettings, ClaimRules } from '../analysis/index.js';
import { formatConfidence, formatPercent } from './format.js';

export const TOKEN_REDUCTION_METHOD =
  'Token reduction at equal accuracy: for a sleep-time configuration at its cheapest test-time budget, take its accuracy and ' +
  'read off test-time only’s Pareto front (its points that no cheaper point matches) how many test-time tokens test-time only ' +
  'needs for that accuracy, interpolating linearly between the two front points around it (mixing those two budgets query by ' +
  'query reaches exactly that point); the reduction is those tokens over sleep-time’s own test-time tokens. Sleep-time tokens ' +
  'are not in this ratio (they are in the cost ratio). If test-time only’s cheapest budget is already as accurate, the ratio ' +
  'is an upper bound; if no budget is, there is no ratio.';

/** What the accuracy intervals are and what they resample. */
export function intervalMethod(settings: BootstrapSettings): string {
  const confidence = formatConfidence(settings.confidence);
  return (
    `Accuracy intervals: ${confidence} percentile bootstrap intervals, ${settings.resamples.toLocaleString('en-US')} resamples, ` +
    `from a generator seeded with ${settings.seed}, so the same results give the same intervals. The unit resampled is the item, ` +
    'with all its rows (its seeds), and on a multi-query dataset the context, with all its questions: questions about one context share ' +
    'it and its sleep-time run, so they are not independent draws. Each cell of the table, each point and each bar of the figures is resampled ' +
    'on its own; differences (sleep-time against test-time only at the same budget, the gaps of figure (d), sleep-time against pass@k) and ' +
    'readings between two budgets of a Pareto front are resampled paired, the same items for both sides. A cell in which every answer is wrong ' +
    '(or every answer right) gives an interval of one point: the bootstrap has nothing to vary, which does not make the accuracy exact ' +
    '(with n items and none right, it could still be up to about 3/n).'
  );
}

/** When a headline states a token saving, and what it says otherwise. */
export function headlineRules(rules: ClaimRules, settings: BootstrapSettings): string {
  const confidence = formatConfidence(settings.confidence);
  return (
    `Headlines: a token saving “for the same accuracy” is stated only when sleep-time’s accuracy is at least ${formatPercent(rules.accuracyFloor)} ` +
    `(below that, equal accuracy mostly means that both fail), every cell compared has at least ${rules.minimumContexts} items ` +
    `(contexts, on a multi-query dataset), and the ${confidence} interval of sleep-time’s accuracy overlaps that of the accuracy read off ` +
    `test-time only’s front; “test-time only never reaches that accuracy” needs the same number of items and intervals that do not overlap. ` +
    'Otherwise the headline gives both accuracies with their intervals and says why no saving is claimed; the cost ratio is stated under ' +
    'the same floor and number of items. When every sleep-time and test-time-only cell scores 0%, one sentence says so.'
  );
}

export function methodParagraphs(settings: BootstrapSettings, rules: ClaimRules): string[] {
  return [TOKEN_REDUCTION_METHOD, intervalMethod(settings), headlineRules(rules, settings)];
}
