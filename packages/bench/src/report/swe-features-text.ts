/**
 * The words of a SWE-Features section, for the HTML page and the markdown alike: its headlines (the
 * claim rules of the report with F1 in place of accuracy: a token saving "for the same F1" only when
 * sleep-time's F1 is at least the floor, every compared cell has enough items and the intervals
 * overlap; otherwise both F1s with their intervals and the reason), its per-cell table, and the
 * Method paragraph on how F1 is measured and resampled.
 */
import type { BootstrapSettings, ClaimObstacle, ClaimRules, F1Point, F1TokenReduction, SweFeaturesAnalysis } from '../analysis/index.js';
import { formatConfidence, formatInterval, formatPercent, formatPoints, formatPointsInterval, formatRatio, formatTokens } from './format.js';
import { obstaclePhrases, withReasons, type HeadlineGroup, type Statement } from './headlines.js';

export function sweFeaturesHeadlineGroups(analysis: SweFeaturesAnalysis): HeadlineGroup[] {
  const groups: HeadlineGroup[] = [];
  const add = (heading: string, sentences: string[]) => {
    const distinct = [...new Set(sentences)];
    if (distinct.length > 0) groups.push({ heading, sentences: distinct });
  };
  const points = analysis.series.flatMap((one) => one.points);
  const both = analysis.series.some((one) => one.condition === 'sleep-time') && analysis.series.some((one) => one.condition === 'test-time-only');
  if (points.length > 0 && points.every((point) => point.f1 === 0)) {
    // Every comparison would compare 0 with 0: one sentence says it all.
    add('Test-time tokens at equal F1', [
      `F1 is 0 in every cell (${analysis.rows} rows): no agent changed a file the real change touched, so no token saving can be claimed and no condition can be said to do better than another.`,
    ]);
  } else {
    add(
      'Test-time tokens at equal F1',
      !both ? ['Needs both sleep-time and test-time-only rows.'] : withReasons(analysis.reductions.map((reduction) => reductionStatement(reduction, analysis)), 'No token saving is claimed'),
    );
    add('F1 against test-time only at the same step budget', deltaSentences(analysis));
  }
  add('Tokens per phase', phaseSentences(analysis));
  add('Errors', [errorSentence(analysis)]);
  return groups;
}

function ci(analysis: SweFeaturesAnalysis, interval: { lower: number; upper: number }): string {
  return `${formatConfidence(analysis.intervals.confidence)} CI ${formatInterval(interval)}`;
}

function reductionStatement(reduction: F1TokenReduction, analysis: SweFeaturesAnalysis): Statement {
  const start =
    `${reduction.sleepSeriesLabel} at ${reduction.stepLabel}: F1 ${formatPercent(reduction.sleepTimeF1)} (${ci(analysis, reduction.sleepTimeInterval)}) with ` +
    `${formatTokens(reduction.sleepTimeTokens)} test-time tokens a task`;
  const baseline = reduction.testTimeOnly;
  const point = baseline === null ? '' : `F1 ${formatPercent(baseline.f1)} (${ci(analysis, baseline.interval)}) with ${formatTokens(baseline.tokens)} tokens`;
  const steps = baseline?.stepLabels ?? [];
  if (!reduction.judgement.supported || baseline === null) {
    const read =
      baseline === null
        ? ''
        : reduction.reading === 'not-reached'
          ? `; test-time only at best ${point} at ${steps.join(', ')}`
          : reduction.reading === 'at-most'
            ? `; test-time only ${point} at its cheapest budget, ${steps.join(', ')}`
            : reduction.reading === 'interpolated'
              ? `; test-time only ${point} mixing ${steps.join(' and ')}`
              : `; test-time only ${point} at ${steps.join(', ')}`;
    return { facts: `${start}${read}`, reason: f1Obstacles(reduction.judgement.obstacles, reduction.judgement.contexts, analysis.claimRules) };
  }
  switch (reduction.reading) {
    case 'not-reached':
      return { sentence: `${start}; test-time only never reaches that F1 at any step budget run (its best: ${point} at ${steps.join(', ')}).` };
    case 'at-most':
      return {
        sentence: `${start}; test-time only is already as good at its cheapest budget (${point} at ${steps.join(', ')}), so the reduction is at most ${reduction.ratio === null ? '—' : formatRatio(reduction.ratio)}.`,
      };
    default:
      return {
        sentence:
          `${start}; test-time only needs ${formatTokens(reduction.testTimeOnlyTokens ?? 0)} for the same F1 ` +
          `(${reduction.reading === 'measured' ? `a measured point, ${steps.join(', ')}` : `interpolated on its Pareto front between ${steps.join(' and ')}`}; ${ci(analysis, baseline.interval)}): ` +
          `${reduction.ratio === null ? 'no ratio (sleep-time used 0 tokens)' : `${formatRatio(reduction.ratio)} fewer test-time tokens`}.`,
      };
  }
}

/** The F1 report's words for `obstaclePhrases`. */
function f1Obstacles(obstacles: readonly ClaimObstacle[], items: number, rules: ClaimRules): string {
  return obstaclePhrases(obstacles, rules, { sample: `${items} item${items === 1 ? '' : 's'}`, metric: 'F1', ahead: 'does better' });
}

function deltaSentences(analysis: SweFeaturesAnalysis): string[] {
  const bySeries = new Map<string, SweFeaturesAnalysis['deltas']>();
  for (const delta of analysis.deltas) bySeries.set(delta.seriesLabel, [...(bySeries.get(delta.seriesLabel) ?? []), delta]);
  const confidence = formatConfidence(analysis.intervals.confidence);
  return [...bySeries].map(
    ([label, deltas]) =>
      `${label}: ` +
      deltas
        .map((delta) => `${formatPoints(delta.delta)}${delta.interval === null ? '' : ` (${confidence} CI ${formatPointsInterval(delta.interval)})`} F1 at ${delta.stepLabel}`)
        .join(', ') +
      '.',
  );
}

function phaseSentences(analysis: SweFeaturesAnalysis): string[] {
  return analysis.series.map((one) => {
    const tests = one.points.map((point) => `${formatTokens(point.tokens)} at ${point.label}`).join(', ');
    const sleep = one.points.find((point) => point.averageSleepTokensPerRun !== null);
    return one.condition === 'sleep-time' && sleep !== undefined
      ? `${one.label}: the notes cost ${formatTokens(sleep.averageSleepTokensPerRun ?? 0)} generated sleep-time tokens a run (one run an item, shared by its step budgets); the coding agent then generated ${tests} test-time tokens a task.`
      : `${one.label}: the coding agent generated ${tests} test-time tokens a task.`;
  });
}

function errorSentence(analysis: SweFeaturesAnalysis): string {
  const failed = analysis.errors === 0 ? `No row failed (${analysis.rows} rows).` : `${analysis.errors} of ${analysis.rows} rows failed after retries and score 0.`;
  return analysis.truncated === 0 ? failed : `${failed} In ${analysis.truncated} of ${analysis.rows} rows a reply of the coding agent was cut short by a limit.`;
}

/** The per-cell table's columns; the interval column names its confidence. */
export function sweFeaturesTableHeader(settings: BootstrapSettings): string[] {
  return ['condition', 'steps N', 'n', 'mean F1', `${formatConfidence(settings.confidence)} CI`, 'precision', 'recall', 'steps used', 'said done', 'avg test tokens', 'avg sleep tokens / run', 'errors'];
}

/** Columns from this one on hold numbers (right-aligned). */
export const SWE_FEATURES_TABLE_FIRST_NUMBER_COLUMN = 1;

export function sweFeaturesTableRows(analysis: SweFeaturesAnalysis): string[][] {
  return analysis.series.flatMap((one) => one.points.map((point) => sweFeaturesTableCells(one.label, point)));
}

function sweFeaturesTableCells(label: string, point: F1Point): string[] {
  return [
    label,
    String(point.stepBudget),
    String(point.rows),
    formatPercent(point.f1),
    formatInterval(point.f1Interval),
    formatPercent(point.precision),
    formatPercent(point.recall),
    (Math.round(point.averageStepsUsed * 10) / 10).toString(),
    formatPercent(point.doneShare),
    formatTokens(point.tokens),
    point.averageSleepTokensPerRun === null ? '—' : formatTokens(point.averageSleepTokensPerRun),
    String(point.errors),
  ];
}

/** The Method paragraph of a report with SWE-Features results. */
export function sweFeaturesMethod(settings: BootstrapSettings, rules: ClaimRules): string {
  const confidence = formatConfidence(settings.confidence);
  return (
    'SWE-Features: each item is a feature a repository gained, with the commit it was built on; the coding agent gets the task and the related ' +
    'earlier pull requests (and, under sleep-time, the notes a repository sleep-time agent wrote after exploring the same commit with read-only tools), ' +
    'works in a fresh checkout of that commit with tools to list, read, search, edit, write and delete files, sees [Step: i/N] at each turn and stops at N ' +
    'steps or when it says it is done. Its score is the F1 of the set of files it changed (git’s diff) against the set the real change touched, tests ' +
    'included; the cell’s value is the mean F1 over its rows (items and seeds; a failed row scores 0). Test-time tokens are the coding agent’s generated ' +
    'tokens; sleep-time tokens, the notes run’s, counted once per run. F1 intervals: ' +
    `${confidence} percentile bootstrap intervals over items (each with all its seeds), ${settings.resamples.toLocaleString('en-US')} resamples, seed ${settings.seed}; ` +
    'differences at the same step budget and readings between two points of test-time only’s Pareto front are resampled paired. ' +
    `A token saving “for the same F1” is stated only when sleep-time’s F1 is at least ${formatPercent(rules.accuracyFloor)}, each compared cell has at least ` +
    `${rules.minimumContexts} items, and the intervals overlap; “never reaches it” needs the items and intervals that do not overlap.`
  );
}
