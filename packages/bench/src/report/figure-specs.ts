/**
 * The report's five figures as Vega-Lite specs, built from one experiment's analyses. A figure
 * without the data it needs gets a note that says what to run instead of a spec.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { BenchCondition } from '../bench-types.js';
import { compareSleepBudgets, type ConditionSeries, type ExperimentAnalysis, type SeriesPoint } from '../analysis/index.js';
import { formatConfidence, formatInterval, formatPercent, formatTokens } from './format.js';
import { dodgedTokens, labelOffsets, tokenAxis } from './point-layout.js';

/** (a)-(e): the question-answering datasets' figures; (f): SWE-Features'. */
export type FigureId = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

export const FIGURE_SLUGS: Readonly<Record<FigureId, string>> = {
  a: 'pareto',
  b: 'sleep-budget',
  c: 'amortized-cost',
  d: 'predictability',
  e: 'pass-at-k',
  f: 'swe-features-f1',
};

/** The figures of a question-answering experiment. */
const QUESTION_ANSWERING_FIGURES: readonly FigureId[] = ['a', 'b', 'c', 'd', 'e'];

/** What to run when a figure has no data; the CLI flags live with the lead's `bench`/`report` commands. */
export const NO_DATA_NOTES = {
  noRows: 'no data: the results have no rows. Run `sleeptime bench` on a dataset, then `sleeptime report` on its results file.',
  noSleepTime:
    'no data: no sleep-time rows. Run `sleeptime bench` with the sleep-time condition (several sleep-time budgets, e.g. k = 1, 2, 5, 10, to see it scale).',
  noCostComparison:
    'no data: needs sleep-time and test-time-only rows at a shared test-time budget. Run `sleeptime bench` with both conditions; a multi-query dataset (about 10 queries a context) adds measured points.',
  noPredictability:
    'no data: no predictability scores. Score the items with the predictability scorer (log p(query | context) from a llama GGUF or an OpenAI-compatible server with prompt log-probabilities) and pass its rows to the report.',
  predictabilityUnmatched:
    'no data: the predictability scores match no item that has both sleep-time and test-time-only results at a shared test-time budget. Score the same dataset the bench ran.',
  noPassAtK: 'no data: no pass-at-k rows. Run `sleeptime bench` with the pass-at-k condition (k samples at the lowest test-time budget).',
  noSleepForPassAtK: 'no data: pass-at-k rows but no sleep-time rows to compare with. Run `sleeptime bench` with the sleep-time condition too.',
} as const;

export interface FigureDefinition {
  id: FigureId;
  slug: string;
  title: string;
  /** What the figure shows and how to read it (plain text). */
  caption: string;
  /** null when there is no data; then `noDataNote` says what to run. */
  spec: TopLevelSpec | null;
  noDataNote: string | null;
}

const WIDTH = 560;
const HEIGHT = 330;
export const TEST_TIME_ONLY_COLOR = '#4d4d4d';
export const SLEEP_TIME_COLORS = ['#1f6fb4', '#2ca02c', '#17a2b8', '#7b4bb7', '#8c564b', '#e377c2', '#0b3d91', '#6b8e23'];
const CONTEXT_ONLY_COLOR = '#ff7f0e';
const ABLATION_COLORS = ['#bcbd22', '#a6761d', '#e6ab02', '#8c6d31'];
const PASS_AT_K_COLOR = '#d62728';
const TEST_BUDGET_COLORS = ['#a6cee3', '#1f78b4', '#33a02c', '#fb9a99', '#e31a1c', '#fdbf6f', '#ff7f00', '#6a3d9a'];

const CONFIG = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: '#cccccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#ececec', titleFontWeight: 'normal' as const },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 420, titleFontWeight: 'normal' as const },
  title: { fontSize: 15, subtitleFontSize: 12, anchor: 'start' as const, subtitleColor: '#555555', offset: 10 },
};

/**
 * The five figures of one experiment. `provenanceLabelOf` gives a model's recorded provenance label
 * ("real weights", "scripted", ...; see provenance.ts), which every figure shows beside the model.
 */
export function figureDefinitions(analysis: ExperimentAnalysis, provenanceLabelOf: (model: string) => string | undefined = () => undefined): FigureDefinition[] {
  const named = (model: string) => {
    const label = provenanceLabelOf(model);
    return label === undefined ? model : `${model} (${label})`;
  };
  return [
    paretoFigure(analysis, named),
    sleepBudgetFigure(analysis, named),
    amortizedCostFigure(analysis, named),
    predictabilityFigure(analysis, named, provenanceLabelOf),
    passAtKFigure(analysis, named),
  ];
}

/** A model's name with its provenance label. */
type NameModel = (model: string) => string;

/** The five figures for an empty results file, each saying so. */
export function emptyFigureDefinitions(): FigureDefinition[] {
  return QUESTION_ANSWERING_FIGURES.map((id) => ({
    id,
    slug: FIGURE_SLUGS[id],
    title: FIGURE_TITLES[id],
    caption: '',
    spec: null,
    noDataNote: NO_DATA_NOTES.noRows,
  }));
}

export const FIGURE_TITLES: Readonly<Record<FigureId, string>> = {
  a: '(a) Accuracy against test-time tokens',
  b: '(b) Accuracy against sleep-time budget',
  c: '(c) Average cost per query against queries per context',
  d: '(d) Sleep-time gain by query predictability',
  e: '(e) Sleep-time against pass@k at equal test-time tokens',
  f: '(f) SWE-Features: F1 of the edited files against test-time tokens',
};

export function definition(id: FigureId, caption: string, spec: TopLevelSpec | null, noDataNote: string | null = null): FigureDefinition {
  return { id, slug: FIGURE_SLUGS[id], title: FIGURE_TITLES[id], caption, spec, noDataNote: spec === null ? noDataNote : null };
}

function paretoFigure(analysis: ExperimentAnalysis, named: NameModel): FigureDefinition {
  const { series, fronts } = analysis.accuracyVersusTokens;
  const caption =
    'One line per condition (sleep-time: one per sleep-time budget k), one point per test-time budget; x is the mean number of ' +
    'generated test-time tokens per query (output tokens, reasoning included; prompt tokens do not count), y the accuracy. ' +
    'Grey: the Pareto fronts of test-time only and of sleep-time over all its budgets (the best accuracy reached with at most that many tokens), ' +
    `which the token reduction at equal accuracy is read from. Bars: ${intervalPhrase(analysis)}. ${DODGE_NOTE}`;
  if (series.length === 0) return definition('a', caption, null, NO_DATA_NOTES.noRows);
  const shownFronts = fronts.filter((front) => front.condition === 'test-time-only' || front.condition === 'sleep-time');
  const spec = tokenAccuracyChart({
    title: FIGURE_TITLES.a,
    subtitle: `${analysis.dataset} · ${named(analysis.model)}`,
    series,
    fronts: shownFronts.map((front) => ({ label: front.label, points: front.points })),
    labelPoints: (one) => one.condition === 'test-time-only' || one.condition === 'pass-at-k',
  });
  return definition('a', caption, spec);
}

function passAtKFigure(analysis: ExperimentAnalysis, named: NameModel): FigureDefinition {
  const { passAtK, sleepTime, sleepTimeFront, testTimeOnly } = analysis.passAtK;
  const caption =
    'pass@k: k samples at the lowest test-time budget, right if any sample is (an oracle verifier), tokens summed over the samples. ' +
    'Against sleep-time at the same mean test-time tokens (its Pareto front over every sleep-time budget, dashed); test-time only for reference. ' +
    `Bars: ${intervalPhrase(analysis)}. ${DODGE_NOTE}`;
  if (passAtK.length === 0) return definition('e', caption, null, NO_DATA_NOTES.noPassAtK);
  if (sleepTime.length === 0) return definition('e', caption, null, NO_DATA_NOTES.noSleepForPassAtK);
  const spec = tokenAccuracyChart({
    title: FIGURE_TITLES.e,
    subtitle: `${analysis.dataset} · ${named(analysis.model)}`,
    series: [...(testTimeOnly === null ? [] : [testTimeOnly]), ...sleepTime, ...passAtK],
    fronts: [{ label: 'sleep-time Pareto front', points: sleepTimeFront }],
    labelPoints: (one) => one.condition === 'pass-at-k',
  });
  return definition('e', caption, spec);
}

interface TokenAccuracyChartOptions {
  title: string;
  subtitle: string;
  series: ConditionSeries[];
  fronts: Array<{ label: string; points: SeriesPoint[] }>;
  labelPoints: (series: ConditionSeries) => boolean;
}

/** Figures (a) and (e): accuracy against test-time tokens, through `tokenScoreChart`. */
function tokenAccuracyChart(options: TokenAccuracyChartOptions): TopLevelSpec {
  const colors = seriesColors(options.series);
  return tokenScoreChart({
    title: options.title,
    subtitle: options.subtitle,
    scoreTitle: 'accuracy',
    series: options.series.map((one, index) => ({
      label: one.label,
      color: colors.range[index] as string,
      labelPoints: options.labelPoints(one),
      points: one.points.map((point) => ({
        source: point,
        tokens: point.tokens,
        score: point.accuracy,
        interval: point.accuracyInterval,
        label: point.label,
        shortLabel: shortPointLabel(point),
        rows: point.rows,
        description: `${one.label}, ${point.label}: ${formatPercent(point.accuracy)} (CI ${formatInterval(point.accuracyInterval)}) with ${formatTokens(point.tokens)} test-time tokens`,
      })),
    })),
    fronts: options.fronts,
  });
}

/** One point of a tokens-against-score chart. */
export interface ChartPoint {
  /** The analysis's point it stands for: fronts name their points by these. */
  source: object;
  tokens: number;
  /** Accuracy, or mean F1: a share from 0 to 1. */
  score: number;
  interval: { lower: number; upper: number };
  label: string;
  shortLabel: string;
  rows: number;
  /** What a screen reader says of the point (its real tokens, not where it is drawn). */
  description: string;
}

export interface ChartSeries {
  label: string;
  color: string;
  /** Print each point's short label beside it. */
  labelPoints: boolean;
  points: ChartPoint[];
}

export interface TokenScoreChartOptions {
  title: string;
  subtitle: string;
  /** The y axis: `accuracy`, `mean F1 of the edited files`. */
  scoreTitle: string;
  /** The x axis; default `mean generated test-time tokens per query`. */
  tokensTitle?: string;
  series: ChartSeries[];
  /** Dashed lines through points (drawn where their series' points are, when they are among them: by `source`). */
  fronts: Array<{ label: string; points: ReadonlyArray<{ tokens: number; accuracy: number }> }>;
}

/**
 * Lines of (tokens, score) per series with an error bar at each point (its interval), dashed
 * fronts, optional point labels. Points that would hide each other are dodged and labels placed
 * apart (point-layout.ts); the x scale is fixed here so those pixel positions hold.
 */
export function tokenScoreChart(options: TokenScoreChartOptions): TopLevelSpec {
  const colors = { domain: options.series.map((one) => one.label), range: options.series.map((one) => one.color) };
  const area = { width: WIDTH, height: HEIGHT };
  const points = options.series.flatMap((one) => one.points.map((point, order) => ({ series: one, point, order })));
  const axis = tokenAxis([...points.map(({ point }) => point.tokens), ...options.fronts.flatMap((front) => front.points.map((point) => point.tokens))]);
  const drawn = dodgedTokens(
    points.map(({ point }) => ({ tokens: point.tokens, accuracy: point.score })),
    axis,
    area,
  );
  const drawnTokensOf = new Map(points.map(({ point }, index) => [point.source, drawn[index] as number]));
  const labelled = points.flatMap(({ series, point }, index) =>
    series.labelPoints ? [{ index, tokens: point.tokens, accuracy: point.score, drawnTokens: drawn[index] as number, text: point.shortLabel }] : [],
  );
  const offsets = new Map(labelOffsets(labelled, axis, area).map((offset, position) => [(labelled[position] as { index: number }).index, offset]));
  const seriesValues = points.map(({ series, point, order }, index) => ({
    series: series.label,
    order,
    tokens: point.tokens,
    drawnTokens: drawn[index] as number,
    accuracy: point.score,
    lower: point.interval.lower,
    upper: point.interval.upper,
    budget: point.label,
    rows: point.rows,
    shortLabel: offsets.has(index) ? point.shortLabel : '',
    description: point.description,
    labelDx: offsets.get(index)?.dx ?? 0,
    labelDy: offsets.get(index)?.dy ?? 0,
  }));
  const frontValues = options.fronts.flatMap((front) =>
    front.points.map((point, order) => ({
      front: front.label,
      order,
      drawnTokens: drawnTokensOf.get(point) ?? point.tokens,
      accuracy: point.accuracy,
    })),
  );
  const x = {
    field: 'drawnTokens',
    type: 'quantitative' as const,
    title: options.tokensTitle ?? 'mean generated test-time tokens per query',
    scale: { type: axis.type, domain: axis.domain, nice: false, ...(axis.type === 'linear' ? { zero: true } : {}) },
  };
  const y = { field: 'accuracy', type: 'quantitative' as const, title: options.scoreTitle, axis: { format: '.0%' }, scale: { domain: [0, 1] } };
  const color = { field: 'series', type: 'nominal' as const, title: 'condition', scale: colors };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: options.title, subtitle: options.subtitle },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: [
      ...(frontValues.length === 0
        ? []
        : [
            {
              data: { values: frontValues },
              mark: { type: 'line' as const, color: '#888888', strokeWidth: 1.5, opacity: 0.9 },
              encoding: {
                x,
                y,
                order: { field: 'order', type: 'quantitative' as const },
                strokeDash: {
                  field: 'front',
                  type: 'nominal' as const,
                  title: 'Pareto front',
                  scale: { domain: options.fronts.map((front) => front.label), range: [[6, 4], [2, 3], [10, 3, 2, 3]] },
                },
              },
            },
          ]),
      {
        data: { values: seriesValues },
        layer: [
          {
            // The interval of each point.
            mark: { type: 'rule' as const, strokeWidth: 1.5, opacity: 0.8 },
            encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color },
          },
          {
            mark: { type: 'line' as const, strokeWidth: 2 },
            encoding: { x, y, order: { field: 'order', type: 'quantitative' as const }, color },
          },
          {
            mark: { type: 'point' as const, filled: true, size: 55, opacity: 1 },
            encoding: { x, y, color, description: { field: 'description', type: 'nominal' as const } },
          },
          {
            mark: { type: 'text' as const, dx: { expr: 'datum.labelDx' }, dy: { expr: 'datum.labelDy' }, align: 'left' as const, fontSize: 10 },
            encoding: { x, y, text: { field: 'shortLabel', type: 'nominal' as const }, color },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'shared' } },
  };
}

function sleepBudgetFigure(analysis: ExperimentAnalysis, named: NameModel): FigureDefinition {
  const series = analysis.accuracyVersusSleepBudget;
  const caption =
    'Accuracy at each sleep-time budget (k parallel sleep-time runs whose learned contexts are concatenated, or the sleep-time effort), ' +
    'one line per test-time budget, side by side within each sleep-time budget so that equal accuracies stay visible; “no sleep” is test-time only at that budget. ' +
    `Bars: ${intervalPhrase(analysis)}.`;
  if (series.length === 0) return definition('b', caption, null, NO_DATA_NOTES.noSleepTime);
  const budgetsByLabel = new Map(series.flatMap((one) => one.points).map((point) => [point.sleepBudgetLabel, point.sleepBudget]));
  const sleepLabels = [...budgetsByLabel.entries()].sort((a, b) => compareSleepBudgets(a[1], b[1])).map(([label]) => label);
  const testLabels = series.map((one) => one.testBudgetLabel);
  const values = series.flatMap((one) =>
    one.points.map((point) => ({
      testBudget: one.testBudgetLabel,
      sleepBudget: point.sleepBudgetLabel,
      accuracy: point.accuracy,
      lower: point.accuracyInterval.lower,
      upper: point.accuracyInterval.upper,
      rows: point.rows,
    })),
  );
  const x = { field: 'sleepBudget', type: 'ordinal' as const, title: 'sleep-time budget', sort: sleepLabels, scale: { type: 'band' as const, paddingInner: 0.25 }, axis: { labelAngle: 0 } };
  // Each test-time budget at its own place within a sleep-time budget: equal accuracies do not hide each other.
  const xOffset = { field: 'testBudget', type: 'nominal' as const, sort: testLabels, scale: { paddingInner: 0.3 } };
  const y = { field: 'accuracy', type: 'quantitative' as const, title: 'accuracy', axis: { format: '.0%' }, scale: { domain: [0, 1] } };
  const color = { field: 'testBudget', type: 'nominal' as const, title: 'test-time budget', scale: { domain: testLabels, range: paletteFor(testLabels.length, TEST_BUDGET_COLORS) } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: FIGURE_TITLES.b, subtitle: `${analysis.dataset} · ${named(analysis.model)}` },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    layer: [
      // The accuracy interval of each point, under the points.
      { mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.8 }, encoding: { x, xOffset, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color } },
      { mark: { type: 'line', point: { filled: true, size: 55 }, strokeWidth: 2 }, encoding: { x, xOffset, y, color } },
    ],
  };
  return definition('b', caption, spec);
}

function amortizedCostFigure(analysis: ExperimentAnalysis, named: NameModel): FigureDefinition {
  const cost = analysis.amortizedCost;
  const caption =
    `Cost per query = sleep-time tokens / N + t × test-time tokens, with t = ${cost.testTokenWeight} (a test-time token is dearer: ` +
    `latency-optimized serving) and only generated tokens counted; N is the number of queries that share one context’s sleep-time run. ` +
    `Dashed: the formula with the mean tokens over all rows; solid: measured on contexts that had at least N queries ` +
    `(each sleep-time run counted once). Both conditions at test-time budget ${cost.testBudgetLabel ?? '—'}.` +
    (cost.mostQueriesPerContext <= 1 && cost.series.length > 0
      ? ' This dataset has one query a context, so only N = 1 is measured; run a multi-query dataset for measured points beyond it.'
      : '');
  if (cost.series.length === 0) return definition('c', caption, null, NO_DATA_NOTES.noCostComparison);
  const labels = [...new Set(cost.series.map((one) => one.label))];
  const legendLabel = (one: (typeof cost.series)[number]) =>
    `${one.label}: ${(one.accuracy * 100).toFixed(1)}% accurate (${formatConfidence(analysis.intervals.confidence)} CI ${formatInterval(one.accuracyInterval)})`;
  const legendLabels = [...new Set(cost.series.map(legendLabel))];
  const values = cost.series.flatMap((one) =>
    one.points.map((point) => ({
      series: legendLabel(one),
      kind: one.kind,
      line: `${one.label}|${one.kind}`,
      queries: point.queriesPerContext,
      cost: point.costPerQuery,
    })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: FIGURE_TITLES.c,
      subtitle: `${analysis.dataset} · ${named(analysis.model)} · t = ${cost.testTokenWeight} · test-time budget ${cost.testBudgetLabel ?? '—'}`,
    },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    encoding: {
      x: { field: 'queries', type: 'quantitative', title: 'queries per context (N)', axis: { tickMinStep: 1, format: 'd' }, scale: { domainMin: 1 } },
      y: { field: 'cost', type: 'quantitative', title: 'cost per query (sleep-time tokens)', scale: { zero: true } },
      color: {
        field: 'series',
        type: 'nominal',
        title: 'condition',
        scale: { domain: legendLabels, range: labels.map((label) => colorOfLabel(label, labels)) },
        // Long enough for a label with its interval.
        legend: { labelLimit: 640 },
      },
    },
    layer: [
      {
        // A plain line mark, so the dash legend draws strokes rather than the points' circles.
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          strokeDash: {
            field: 'kind',
            type: 'nominal',
            title: 'curve',
            scale: { domain: ['analytical', 'measured'], range: [[6, 4], [1, 0]] },
          },
          detail: { field: 'line', type: 'nominal' },
        },
      },
      { transform: [{ filter: "datum.kind === 'measured'" }], mark: { type: 'point', filled: true, size: 40, opacity: 1 } },
    ],
  };
  return definition('c', caption, spec);
}

function predictabilityFigure(analysis: ExperimentAnalysis, named: NameModel, provenanceLabelOf: (model: string) => string | undefined): FigureDefinition {
  const predictability = analysis.predictability;
  const caption =
    'Items binned into quantiles of log p(query | context) under a scoring model (ties share a bin); in each bin, sleep-time accuracy minus ' +
    'test-time-only accuracy at each test-time budget both ran (dots), and their mean (bars), with its ' +
    `${formatConfidence(analysis.intervals.confidence)} interval (paired bootstrap over the bin’s ${analysis.resamplingUnit}s, ${analysis.intervals.resamples.toLocaleString('en-US')} resamples). ` +
    'The paper finds larger gains for more predictable queries.' +
    (predictability?.scoringModel ? ` Scoring model: ${named(predictability.scoringModel)}; sleep-time budget ${predictability.sleepBudgetLabel ?? '—'}.` : '');
  if (predictability === null) return definition('d', caption, null, NO_DATA_NOTES.noPredictability);
  if (predictability.binnedItems === 0) return definition('d', caption, null, NO_DATA_NOTES.predictabilityUnmatched);
  // The axis splits labels at the middle dot into lines (labelExpr below).
  const lastIndex = predictability.bins.length - 1;
  const binLabel = (bin: (typeof predictability.bins)[number]) =>
    [`Q${bin.index + 1}`, ...(bin.index === 0 ? ['least predictable'] : bin.index === lastIndex ? ['most predictable'] : []), `${bin.items} items`].join(' · ');
  const binLabels = predictability.bins.map(binLabel);
  const bars = predictability.bins
    .filter((bin) => bin.meanGap !== null)
    .map((bin) => ({ bin: binLabel(bin), gap: bin.meanGap, lower: bin.meanGapInterval?.lower ?? bin.meanGap, upper: bin.meanGapInterval?.upper ?? bin.meanGap }));
  const dots = predictability.bins.flatMap((bin) => bin.gaps.map((gap) => ({ bin: binLabel(bin), gap: gap.gap, testBudget: gap.testBudgetLabel })));
  const testLabels = [...new Set(dots.map((dot) => dot.testBudget))];
  const x = { field: 'bin', type: 'ordinal' as const, title: 'log p(query | context) quantile', sort: binLabels, scale: { type: 'band' as const, domain: binLabels }, axis: { labelAngle: 0, labelExpr: "split(datum.label, ' · ')" } };
  const y = { field: 'gap', type: 'quantitative' as const, title: 'sleep-time − test-time only', axis: { format: '+.0%' } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: FIGURE_TITLES.d,
      subtitle: [
        analysis.dataset,
        named(analysis.model),
        // The scores are data of this figure too: say where they come from.
        ...(predictability.scoringModel === null ? [] : [`scores: ${provenanceLabelOf(predictability.scoringModel) ?? predictability.scoringModel}`]),
        `${predictability.binnedItems} items`,
      ].join(' · '),
    },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: [
      { data: { values: bars }, mark: { type: 'bar', color: '#d4d8dd', width: Math.round((0.6 * WIDTH) / binLabels.length) }, encoding: { x, y } },
      // The interval of each bin's mean gap.
      { data: { values: bars }, mark: { type: 'errorbar', ticks: { size: 14 }, color: '#555555' }, encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' } } },
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#333333' }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
      {
        data: { values: dots },
        mark: { type: 'point', filled: true, size: 60, stroke: '#ffffff', strokeWidth: 0.8, opacity: 1 },
        encoding: {
          x,
          // Each test-time budget at its own place in the bin, so equal gaps do not hide each other.
          xOffset: { field: 'testBudget', type: 'nominal', sort: testLabels, scale: { paddingOuter: 1 } },
          y,
          color: { field: 'testBudget', type: 'nominal', title: 'test-time budget', scale: { domain: testLabels, range: paletteFor(testLabels.length, TEST_BUDGET_COLORS) } },
        },
      },
    ],
  };
  return definition('d', caption, spec);
}

export const DODGE_NOTE =
  'Points that would hide each other (equal accuracy at about the same tokens) are drawn side by side, a few pixels apart, and their labels stacked; the table gives the exact values.';

/** "95% bootstrap intervals of the accuracy over items (2,000 resamples)". */
function intervalPhrase(analysis: ExperimentAnalysis): string {
  return (
    `${formatConfidence(analysis.intervals.confidence)} bootstrap intervals of the accuracy, resampling ${analysis.resamplingUnit}s ` +
    `(${analysis.intervals.resamples.toLocaleString('en-US')} resamples)`
  );
}

/** A fixed color per condition family, so the same condition looks the same in every figure. */
function seriesColors(series: readonly ConditionSeries[]): { domain: string[]; range: string[] } {
  const domain = series.map((one) => one.label);
  let sleepIndex = 0;
  let ablationIndex = 0;
  const range = series.map((one) => {
    if (one.condition === 'sleep-time') return SLEEP_TIME_COLORS[sleepIndex++ % SLEEP_TIME_COLORS.length] as string;
    // The released-code ablation, one series per sleep-time budget.
    if (one.sleepBudget !== null) return ABLATION_COLORS[ablationIndex++ % ABLATION_COLORS.length] as string;
    return CONDITION_COLORS[one.condition];
  });
  return { domain, range };
}

const CONDITION_COLORS: Readonly<Record<Exclude<BenchCondition, 'sleep-time'>, string>> = {
  'test-time-only': TEST_TIME_ONLY_COLOR,
  'context-only': CONTEXT_ONLY_COLOR,
  'sleep-time-no-question': ABLATION_COLORS[0] as string,
  'pass-at-k': PASS_AT_K_COLOR,
};

function colorOfLabel(label: string, labels: readonly string[]): string {
  if (label.startsWith('test-time only')) return TEST_TIME_ONLY_COLOR;
  const sleepLabels = labels.filter((one) => one.startsWith('sleep-time'));
  return SLEEP_TIME_COLORS[Math.max(0, sleepLabels.indexOf(label)) % SLEEP_TIME_COLORS.length] as string;
}

function paletteFor(count: number, palette: readonly string[]): string[] {
  return Array.from({ length: count }, (_, index) => palette[index % palette.length] as string);
}

function shortPointLabel(point: SeriesPoint): string {
  if (point.samples !== undefined) return `k=${point.samples}`;
  const budget = point.testBudget;
  const parts: string[] = [];
  if (budget.verbosity !== undefined) parts.push(`v${budget.verbosity}`);
  if (budget.effort !== undefined) parts.push(budget.effort);
  if (budget.thinkingBudget !== undefined) parts.push(`${formatTokens(budget.thinkingBudget)}`);
  const forcing = budget.budgetForcing;
  if (forcing !== undefined)
    parts.push(forcing.mode === 'cap' ? `cap ${formatTokens(forcing.thinkingTokens)}` : `wait×${forcing.waits} ${formatTokens(forcing.thinkingTokens)}`);
  return parts.join(' ');
}
