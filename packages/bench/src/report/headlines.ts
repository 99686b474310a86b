/**
 * The summary figures of one experiment as plain sentences, for both the HTML page and the
 * markdown. Every accuracy carries its interval, a token or cost saving is stated only when the
 * claim rules allow it (analysis/equal-accuracy-claim.ts; the rules are in the Method section),
 * and no sentence is said twice.
 */
import { sampleObstacles, type AccuracyInterval, type ClaimObstacle, type ClaimRules, type ExperimentAnalysis, type TokenReduction } from '../analysis/index.js';
import { formatConfidence, formatInterval, formatPercent, formatPoints, formatPointsInterval, formatRatio, formatTokens } from './format.js';

export interface HeadlineGroup {
  heading: string;
  sentences: string[];
}

interface HeadlineOptions {
  queriesPerContext: number;
  testTokenWeight: number;
}

/** The summary figures in groups; a group with nothing to say is left out. */
export function headlineGroups(analysis: ExperimentAnalysis, options: HeadlineOptions): HeadlineGroup[] {
  const groups: HeadlineGroup[] = [];
  const add = (heading: string, sentences: string[]) => {
    const distinct = [...new Set(sentences)];
    if (distinct.length > 0) groups.push({ heading, sentences: distinct });
  };
  const allWrong = allWrongSentence(analysis);
  if (allWrong !== null) {
    // Every comparison below would compare 0% with 0%: one sentence says it all.
    add('Test-time tokens at equal accuracy', [allWrong]);
    add('Errors', [errorSentence(analysis)]);
    return groups;
  }
  add(
    'Test-time tokens at equal accuracy',
    analysis.headlineTokenReductions.length === 0
      ? ['Needs both sleep-time and test-time-only rows.']
      : withReasons(
          analysis.headlineTokenReductions.map((reduction) => tokenReductionSentence(reduction, analysis, options)),
          'No token saving is claimed',
        ),
  );
  add('Accuracy against test-time only at the same test-time budget', deltaSentences(analysis));
  add('Cost per query', costSentences(analysis));
  add('Against pass@k', passAtKSentences(analysis));
  add('Errors', [errorSentence(analysis)]);
  return groups;
}

/** One sentence when sleep-time and test-time only both ran and got nothing right; else null. */
function allWrongSentence(analysis: ExperimentAnalysis): string | null {
  const compared = analysis.summary.filter((row) => row.condition === 'sleep-time' || row.condition === 'test-time-only');
  const both = compared.some((row) => row.condition === 'sleep-time') && compared.some((row) => row.condition === 'test-time-only');
  if (!both || compared.some((row) => row.correct > 0)) return null;
  if (analysis.summary.every((row) => row.correct === 0)) {
    return (
      `Accuracy is 0% in every condition at every budget (${analysis.rows} rows): no token saving can be claimed, ` +
      'and no condition can be said to do better than another.'
    );
  }
  const rows = compared.reduce((sum, row) => sum + row.rows, 0);
  return `Sleep-time and test-time only score 0% at every budget (${rows} rows): no token saving can be claimed.`;
}

/**
 * A sentence, or the facts of one (no final period) with the reason no saving is claimed from them.
 * The same reason for every one is said once, first.
 */
export type Statement = { sentence: string } | { facts: string; reason: string };

export function withReasons(statements: readonly Statement[], noClaim: string): string[] {
  const reasons = new Set(statements.map((statement) => ('reason' in statement ? statement.reason : null)));
  const [shared] = reasons;
  if (statements.length > 1 && reasons.size === 1 && shared !== null && shared !== undefined) {
    return [`${noClaim}: ${shared}.`, ...statements.map((statement) => `${'facts' in statement ? statement.facts : ''}.`)];
  }
  return statements.map((statement) => ('sentence' in statement ? statement.sentence : `${statement.facts}. ${noClaim}: ${statement.reason}.`));
}

function tokenReductionSentence(reduction: TokenReduction, analysis: ExperimentAnalysis, options: HeadlineOptions): Statement {
  const ci = confidenceInterval(analysis);
  const start =
    `${reduction.sleepSeriesLabel} at ${reduction.testBudgetLabel}: ${formatPercent(reduction.sleepTimeAccuracy)} (${ci(reduction.sleepTimeInterval)}) with ` +
    `${formatTokens(reduction.sleepTimeTokens)} test-time tokens a query`;
  const baseline = reduction.testTimeOnly;
  const baselinePoint = baseline === null ? '' : `${formatPercent(baseline.accuracy)} (${ci(baseline.interval)}) with ${formatTokens(baseline.tokens)} tokens`;
  if (!reduction.judgement.supported || baseline === null) {
    const compared = baseline === null ? '' : `; test-time only ${baselineReading(reduction, baselinePoint)}`;
    return { facts: `${start}${compared}`, reason: accuracyObstacles(reduction.judgement.obstacles, reduction.judgement.contexts, analysis) };
  }
  const cost =
    reduction.costRatio === null
      ? ''
      : ` Counting sleep-time tokens too (N = ${options.queriesPerContext}, t = ${options.testTokenWeight}), test-time only costs ${formatRatio(reduction.costRatio)} as much per query.`;
  switch (reduction.reading) {
    case 'not-reached':
      return { sentence: `${start}; test-time only never reaches that accuracy at any budget run (its best: ${baselinePoint} at ${baseline.budgetLabels.join(', ')}).` };
    case 'at-most':
      return {
        sentence:
          `${start}; test-time only is already as accurate at its cheapest budget (${baselinePoint} at ${baseline.budgetLabels.join(', ')}), ` +
          `so the reduction is at most ${reduction.ratio === null ? '—' : formatRatio(reduction.ratio)}.${cost}`,
      };
    default:
      return {
        sentence:
          `${start}; test-time only needs ${formatTokens(reduction.testTimeOnlyTokens ?? 0)} for the same accuracy ` +
          `(${reduction.reading === 'measured' ? `a measured point, ${baseline.budgetLabels.join(', ')}` : `interpolated on its Pareto front between ${baseline.budgetLabels.join(' and ')}`}; ` +
          `${ci(baseline.interval)}): ` +
          `${reduction.ratio === null ? 'no ratio (sleep-time used 0 tokens)' : `${formatRatio(reduction.ratio)} fewer test-time tokens`}.${cost}`,
      };
  }
}

/** What sleep-time was compared with on test-time only's front, when no saving is claimed. */
function baselineReading(reduction: TokenReduction, point: string): string {
  const budgets = reduction.testTimeOnly?.budgetLabels ?? [];
  switch (reduction.reading) {
    case 'not-reached':
      return `at best ${point} at ${budgets.join(', ')}`;
    case 'at-most':
      return `${point} at its cheapest budget, ${budgets.join(', ')}`;
    case 'interpolated':
      return `${point} mixing ${budgets.join(' and ')}`;
    default:
      return `${point} at ${budgets.join(', ')}`;
  }
}

/** How a report names what it claims about: its sample ("40 items"), its metric, and test-time only ahead of sleep-time. */
export interface ClaimWords {
  sample: string;
  metric: string;
  ahead: string;
}

/** Why a claim is not made, in words (both reports: accuracy here, F1 in the SWE-Features one). */
export function obstaclePhrases(obstacles: readonly ClaimObstacle[], rules: ClaimRules, words: ClaimWords): string {
  return obstacles
    .map((obstacle) => {
      switch (obstacle) {
        case 'too-few-contexts':
          return `${words.sample}, fewer than the ${rules.minimumContexts} a claim needs`;
        case 'below-floor':
          return `sleep-time’s ${words.metric} is below the ${formatPercent(rules.accuracyFloor)} floor`;
        case 'intervals-apart':
          return `test-time only ${words.ahead} (the intervals do not overlap)`;
        case 'intervals-overlap':
          return 'the intervals overlap, so the data do not show test-time only falling short';
        default:
          return 'nothing on test-time only’s front to compare with';
      }
    })
    .join('; ');
}

/** The accuracy report's words for `obstaclePhrases`. */
function accuracyObstacles(obstacles: readonly ClaimObstacle[], contexts: number, analysis: ExperimentAnalysis): string {
  return obstaclePhrases(obstacles, analysis.claimRules, { sample: count(contexts, analysis.resamplingUnit), metric: 'accuracy', ahead: 'is more accurate' });
}

function deltaSentences(analysis: ExperimentAnalysis): string[] {
  const groups = new Map<string, ExperimentAnalysis['accuracyDeltas']>();
  for (const delta of analysis.accuracyDeltas) groups.set(delta.seriesLabel, [...(groups.get(delta.seriesLabel) ?? []), delta]);
  const confidence = formatConfidence(analysis.intervals.confidence);
  return [...groups].map(
    ([label, deltas]) =>
      `${label}: ` +
      deltas
        .map(
          (delta) =>
            `${formatPoints(delta.delta)}${delta.interval === null ? '' : ` (${confidence} CI ${formatPointsInterval(delta.interval)})`} at ${delta.testBudgetLabel}`,
        )
        .join(', ') +
      '.',
  );
}

function costSentences(analysis: ExperimentAnalysis): string[] {
  const statements: Statement[] = [];
  const ci = confidenceInterval(analysis);
  const cost = analysis.amortizedCost;
  const baseline = cost.series.find((one) => one.kind === 'analytical' && one.condition === 'test-time-only');
  const lastIndex = (baseline?.points.length ?? 0) - 1;
  const baselineCost = baseline?.points[lastIndex];
  if (baseline === undefined || baselineCost === undefined) return [];
  for (const one of cost.series.filter((series) => series.kind === 'analytical' && series.condition === 'sleep-time')) {
    const point = one.points[lastIndex];
    if (point === undefined) continue;
    const obstacles = sampleObstacles({ accuracy: one.accuracy, interval: one.accuracyInterval }, { interval: baseline.accuracyInterval }, analysis.claimRules);
    const ratio =
      point.costPerQuery > 0 && obstacles.length === 0 ? ` (test-time only / sleep-time: ${formatRatio(baselineCost.costPerQuery / point.costPerQuery)})` : '';
    const contexts = Math.min(one.accuracyInterval.contexts, baseline.accuracyInterval.contexts);
    const facts =
      `N = ${point.queriesPerContext} queries a context, t = ${cost.testTokenWeight}, test-time budget ${cost.testBudgetLabel}: ` +
      `${one.label} ${formatTokens(point.costPerQuery)}, test-time only ${formatTokens(baselineCost.costPerQuery)}${ratio}; ` +
      `accuracy ${formatPercent(one.accuracy)} (${ci(one.accuracyInterval)}) against ${formatPercent(baseline.accuracy)} (${ci(baseline.accuracyInterval)})`;
    statements.push(obstacles.length === 0 ? { sentence: `${facts}.` } : { facts, reason: accuracyObstacles(obstacles, contexts, analysis) });
  }
  return withReasons(statements, 'No cost saving is claimed');
}

function passAtKSentences(analysis: ExperimentAnalysis): string[] {
  const ci = confidenceInterval(analysis);
  const confidence = formatConfidence(analysis.intervals.confidence);
  return analysis.passAtK.comparisons.map((comparison) => {
    const name = comparison.samples === null ? 'pass@k' : `pass@${comparison.samples}`;
    const passAtK = `${name}: ${formatPercent(comparison.passAtKAccuracy)} (${ci(comparison.passAtKInterval)}) with ${formatTokens(comparison.passAtKTokens)} test-time tokens`;
    if (comparison.sleepTimeAccuracy === null) return `${passAtK}; every sleep-time point uses more tokens.`;
    const sleepInterval = comparison.sleepTimeInterval === null ? '' : ` (${ci(comparison.sleepTimeInterval)})`;
    const differenceInterval = comparison.differenceInterval === null ? '' : `, ${confidence} CI ${formatPointsInterval(comparison.differenceInterval)}`;
    return `${passAtK}; sleep-time at the same tokens ${formatPercent(comparison.sleepTimeAccuracy)}${sleepInterval}: ${formatPoints(comparison.difference ?? 0)}${differenceInterval === '' ? '' : ` (${differenceInterval.slice(2)})`}.`;
  });
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

/** "95% CI 8.3–58.3%", at the analysis's confidence. */
function confidenceInterval(analysis: ExperimentAnalysis): (interval: AccuracyInterval) => string {
  const confidence = formatConfidence(analysis.intervals.confidence);
  return (interval) => `${confidence} CI ${formatInterval(interval)}`;
}

function count(value: number, unit: 'item' | 'context'): string {
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}
