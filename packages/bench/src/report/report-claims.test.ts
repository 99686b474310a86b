/**
 * The report says what the data show and no more: headlines that claim a saving only when the
 * claim rules allow it, intervals on every accuracy, and figures whose points and labels do not
 * hide each other, on the degenerate results that used to make it overclaim.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeResults, type ExperimentAnalysis } from '../analysis/index.js';
import { makeCell, makeRow } from '../analysis/analysis-test-support.js';
import type { BenchResultRow } from '../bench-types.js';
import { figureDefinitions, type FigureDefinition, type FigureId } from './figure-specs.js';
import { headlineGroups } from './headlines.js';
import { markType, specLayers, svgPoints, svgTextMarks, visibleText } from './report-test-support.js';
import { writeReport } from './write-report.js';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-report-claims-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const OPTIONS = { queriesPerContext: 10, testTokenWeight: 10 };
const SAVING_CLAIMS = ['same accuracy', 'fewer test-time tokens', 'as much per query', 'test-time only / sleep-time'];

/**
 * The grid of the degenerate report: test-time only and sleep-time (k = 1, 2, 5, 10) at
 * verbosity 0 and 2, pass@1 and pass@3, context only; `correct` of the `items` right in every cell
 * (the same items), sleep-time cheaper than test-time only at every budget.
 */
function sameEverywhere(items: number, correct: number): BenchResultRow[] {
  const rows: BenchResultRow[] = [];
  for (const verbosity of [0, 2] as const) {
    rows.push(...makeCell('i', items, correct, { condition: 'test-time-only', testBudget: { verbosity }, testTokens: 120 + 100 * verbosity }));
    for (const parallel of [1, 2, 5, 10]) {
      rows.push(
        ...makeCell('i', items, correct, {
          condition: 'sleep-time',
          testBudget: { verbosity },
          sleepBudget: { parallel },
          testTokens: 14 + parallel + 10 * verbosity,
          sleepTokens: 300 * parallel,
        }),
      );
    }
  }
  rows.push(...makeCell('i', items, correct, { condition: 'pass-at-k', samples: 1, testTokens: 120 }));
  rows.push(...makeCell('i', items, correct, { condition: 'pass-at-k', samples: 3, testTokens: 360 }));
  rows.push(...makeCell('i', items, correct, { condition: 'context-only', testTokens: 30 }));
  return rows;
}

function analysisOf(rows: BenchResultRow[]): ExperimentAnalysis {
  const [analysis] = analyzeResults(rows, undefined);
  if (analysis === undefined) throw new Error('no experiment');
  return analysis;
}

function sentencesOf(analysis: ExperimentAnalysis): string[] {
  return headlineGroups(analysis, OPTIONS).flatMap((group) => group.sentences);
}

function figure(analysis: ExperimentAnalysis, id: FigureId): FigureDefinition {
  const found = figureDefinitions(analysis).find((one) => one.id === id);
  if (found?.spec === null || found === undefined) throw new Error(`figure ${id} has no chart`);
  return found;
}

describe('results where every condition scores 0%', () => {
  it('say so once, and claim no token saving', async () => {
    const rows = sameEverywhere(20, 0);
    const sentences = sentencesOf(analysisOf(rows));
    expect(sentences.filter((sentence) => sentence.includes('no token saving can be claimed'))).toEqual([
      `Accuracy is 0% in every condition at every budget (${rows.length} rows): no token saving can be claimed, and no condition can be said to do better than another.`,
    ]);
    for (const claim of SAVING_CLAIMS) expect(sentences.filter((sentence) => sentence.includes(claim)), claim).toEqual([]);

    const report = await writeReport({ results: rows, outDir: join(directory, 'all-wrong') });
    const markdown = await readFile(report.markdownPath, 'utf8');
    const items = markdown.split('\n').filter((line) => line.startsWith('- '));
    expect(new Set(items).size).toBe(items.length);
    // What the report says of these results, before the Method section that explains the rules.
    const findings = markdown.slice(0, markdown.indexOf('## Method'));
    const page = visibleText(await readFile(report.htmlPath, 'utf8'));
    const pageFindings = page.slice(0, page.indexOf(' Method '));
    for (const claim of SAVING_CLAIMS) {
      expect(findings, claim).not.toContain(claim);
      expect(pageFindings, claim).not.toContain(claim);
    }
    expect(pageFindings.split('no token saving can be claimed').length - 1).toBe(1);
  });

  it('says that sleep-time and test-time only score 0% when another condition does better', () => {
    const rows = [...sameEverywhere(20, 0).filter((row) => row.condition !== 'pass-at-k'), ...makeCell('i', 20, 5, { condition: 'pass-at-k', samples: 3, testTokens: 360 })];
    const sentences = sentencesOf(analysisOf(rows));
    expect(sentences.filter((sentence) => sentence.includes('no token saving can be claimed'))).toEqual([
      'Sleep-time and test-time only score 0% at every budget (200 rows): no token saving can be claimed.',
    ]);
  });

  it('draws coinciding points side by side, each label at its own place', async () => {
    const analysis = analysisOf(sameEverywhere(20, 0));
    for (const id of ['a', 'e'] as const) {
      const layers = specLayers(figure(analysis, id).spec as NonNullable<FigureDefinition['spec']>);
      const points = layers.find((layer) => markType(layer.mark) === 'point');
      const drawn = (points?.values ?? []).map((value) => `${value.drawnTokens}|${value.accuracy}`);
      expect(new Set(drawn).size, id).toBe(drawn.length);
      // Labels: distinct places (drawn tokens, then the label's own offset).
      const labels = (layers.find((layer) => markType(layer.mark) === 'text')?.values ?? []).filter((value) => value.shortLabel !== '');
      expect(labels.length, id).toBeGreaterThan(1);
      const places = labels.map((value) => `${value.drawnTokens}|${value.accuracy}|${value.labelDx}|${value.labelDy}`);
      expect(new Set(places).size, id).toBe(places.length);
    }

    // As Vega draws them: test-time only's "v0" (120 tokens) and pass@1's "k=1" (120 tokens) no longer overlap.
    const report = await writeReport({ results: sameEverywhere(20, 0), outDir: join(directory, 'all-wrong-figures') });
    for (const file of ['figure-a-pareto.svg', 'figure-e-pass-at-k.svg']) {
      const svg = await readFile(join(directory, 'all-wrong-figures', file), 'utf8');
      const labels = svgTextMarks(svg);
      expect(labels.map((label) => label.text).sort(), file).toEqual(file.includes('pareto') ? ['k=1', 'k=3', 'v0', 'v2'] : ['k=1', 'k=3']);
      for (const [index, label] of labels.entries()) {
        for (const other of labels.slice(index + 1)) {
          // Boxes about 6 px a character wide and 11 px high must not meet.
          const apart = Math.abs(label.y - other.y) >= 11 || label.x + 6 * label.text.length <= other.x || other.x + 6 * other.text.length <= label.x;
          expect(apart, `${file}: "${label.text}" and "${other.text}"`).toBe(true);
        }
      }
      const points = svgPoints(svg);
      expect(points.length, file).toBeGreaterThan(5);
      for (const [index, point] of points.entries()) {
        for (const other of points.slice(index + 1)) {
          // A point is about 8.4 px across (size 55).
          expect(Math.hypot(point.x - other.x, point.y - other.y), `${file}: ${point.label} / ${other.label}`).toBeGreaterThanOrEqual(8.4);
        }
      }
    }
    expect(report.figures).toHaveLength(5);
  });

  it('puts each test-time budget at its own place within a sleep-time budget in figure (b)', async () => {
    const analysis = analysisOf(sameEverywhere(20, 0));
    const layers = specLayers(figure(analysis, 'b').spec as NonNullable<FigureDefinition['spec']>);
    for (const layer of layers) expect(layer.encoding.xOffset, markType(layer.mark)).toMatchObject({ field: 'testBudget' });

    await writeReport({ results: sameEverywhere(20, 0), outDir: join(directory, 'all-wrong-b') });
    const points = svgPoints(await readFile(join(directory, 'all-wrong-b', 'figure-b-sleep-budget.svg'), 'utf8'));
    // 5 sleep-time budgets (no sleep, k = 1, 2, 5, 10) x 2 test-time budgets, all at 0%.
    expect(points).toHaveLength(10);
    expect(new Set(points.map((point) => `${point.x}|${point.y}`)).size).toBe(10);
  });
});

describe('six items of a real model with one right answer in each condition', () => {
  /** The case: it used to report "1.21x fewer test-time tokens". */
  function sixItems(): BenchResultRow[] {
    const cell = (condition: BenchResultRow['condition'], right: number, testTokens: number, extra: Partial<Parameters<typeof makeRow>[0]> = {}) =>
      Array.from({ length: 6 }, (_, index) => makeRow({ itemId: `aime-${index}`, condition, correct: index === right, testTokens, dataset: 'aime', ...extra }));
    return [
      ...cell('test-time-only', 0, 121),
      ...cell('test-time-only', 3, 300, { testBudget: { verbosity: 2 } }),
      ...cell('sleep-time', 2, 100, { sleepTokens: 900 }),
      ...cell('sleep-time', 5, 180, { sleepTokens: 900, testBudget: { verbosity: 2 } }),
    ];
  }

  it('claims no saving, and says why with both accuracies and their intervals', async () => {
    const analysis = analysisOf(sixItems());
    const sentences = sentencesOf(analysis);
    for (const claim of SAVING_CLAIMS) expect(sentences.filter((sentence) => sentence.includes(claim)), claim).toEqual([]);
    expect(sentences).toContain(
      'sleep-time (k=1) at verbosity 0: 16.7% (95% CI 0.0–50.0%) with 100 test-time tokens a query; test-time only 16.7% (95% CI 0.0–50.0%) with 121 tokens at verbosity 0. ' +
        'No token saving is claimed: 6 items, fewer than the 30 a claim needs.',
    );
    const markdown = await readFile((await writeReport({ results: sixItems(), outDir: join(directory, 'six') })).markdownPath, 'utf8');
    expect(markdown).not.toContain('1.21×');
    expect(markdown).not.toContain('fewer test-time tokens');
  });
});

describe('a saving the data support', () => {
  /**
   * 40 items. Test-time only: 30% at 100 tokens (verbosity 0), 60% at 300 (verbosity 2). Sleep-time:
   * 60% at 50 tokens (verbosity 0), the same items right as test-time only at verbosity 2.
   */
  function supported(): BenchResultRow[] {
    return [
      ...makeCell('i', 40, 12, { condition: 'test-time-only', testTokens: 100 }),
      ...makeCell('i', 40, 24, { condition: 'test-time-only', testBudget: { verbosity: 2 }, testTokens: 300 }),
      ...makeCell('i', 40, 24, { condition: 'sleep-time', testTokens: 50, sleepTokens: 1000 }),
    ];
  }

  it('is stated, with the intervals behind it', () => {
    const [headline] = sentencesOf(analysisOf(supported()));
    expect(headline).toMatch(
      /^sleep-time \(k=1\) at verbosity 0: 60\.0% \(95% CI [\d.]+–[\d.]+%\) with 50 test-time tokens a query; test-time only needs 300 for the same accuracy \(a measured point, verbosity 2; 95% CI [\d.]+–[\d.]+%\): 6\.00× fewer test-time tokens\./,
    );
  });

  it('is not stated under a floor or a sample size the data miss', () => {
    const [analysis] = analyzeResults(supported(), undefined, { claimRules: { accuracyFloor: 0.7, minimumContexts: 50 } });
    const [headline] = sentencesOf(analysis as ExperimentAnalysis);
    expect(headline).toContain('No token saving is claimed: 40 items, fewer than the 50 a claim needs; sleep-time’s accuracy is below the 70.0% floor.');
    expect(headline).not.toContain('fewer test-time tokens');
  });
});

describe('accuracy intervals in the tables and figures', () => {
  it('are in the summary table, markdown and HTML', async () => {
    const rows = makeCell('i', 10, 5, { condition: 'test-time-only', testTokens: 40 });
    const report = await writeReport({ results: rows, outDir: join(directory, 'table') });
    const markdown = await readFile(report.markdownPath, 'utf8');
    expect(markdown).toContain('| condition | sleep budget | test budget | n | accuracy | 95% CI | avg test tokens | avg sleep tokens / run | errors |');
    expect(markdown).toMatch(/\| test-time only \| — \| verbosity 0 \| 10 \| 50\.0% \| (\d+\.\d)–(\d+\.\d)% \| 40 \| — \| 0 \|/);
    const html = await readFile(report.htmlPath, 'utf8');
    expect(html).toContain('<th class="number">95% CI</th>');
    expect(markdown).toContain('95% percentile bootstrap intervals, 2,000 resamples');
  });

  it('are error bars at every point of figures (a), (b) and (e), and on the bars of (d)', () => {
    const rows = [
      ...makeCell('i', 12, 4, { condition: 'test-time-only', testTokens: 100 }),
      ...makeCell('i', 12, 9, { condition: 'sleep-time', testTokens: 30, sleepTokens: 500 }),
      ...makeCell('i', 12, 6, { condition: 'pass-at-k', samples: 2, testTokens: 200 }),
    ];
    const predictability = Array.from({ length: 12 }, (_, index) => ({ dataset: 'gsm-symbolic-p1', itemId: `i-${index}`, model: 'm', logProbability: -index, queryTokens: 4 }));
    const [analysis] = analyzeResults(rows, predictability);
    const definitions = figureDefinitions(analysis as ExperimentAnalysis);
    for (const id of ['a', 'b', 'e'] as const) {
      const spec = definitions.find((one) => one.id === id)?.spec;
      const bars = specLayers(spec as NonNullable<typeof spec>).find((layer) => (layer.encoding.y2 as { field?: string } | undefined)?.field === 'upper');
      expect(bars, id).toBeDefined();
      expect(bars?.encoding.y, id).toMatchObject({ field: 'lower' });
      // One bar per point, each from its own interval.
      for (const value of bars?.values ?? []) {
        expect(value.lower as number, id).toBeLessThanOrEqual(value.accuracy as number);
        expect(value.upper as number, id).toBeGreaterThanOrEqual(value.accuracy as number);
      }
      expect(bars?.values.some((value) => (value.upper as number) > (value.lower as number)), id).toBe(true);
    }
    const sleepTime = (analysis as ExperimentAnalysis).accuracyVersusTokens.series.find((one) => one.condition === 'sleep-time')?.points[0];
    const aBars = specLayers(definitions[0]?.spec as NonNullable<FigureDefinition['spec']>).find((layer) => markType(layer.mark) === 'rule');
    expect(aBars?.values.find((value) => value.series === 'sleep-time (k=1)')).toMatchObject({
      lower: sleepTime?.accuracyInterval.lower,
      upper: sleepTime?.accuracyInterval.upper,
    });
    const d = specLayers(definitions.find((one) => one.id === 'd')?.spec as NonNullable<FigureDefinition['spec']>);
    expect(d.find((layer) => markType(layer.mark) === 'errorbar')?.encoding.y2).toEqual({ field: 'upper' });
  });
});

describe('figure (d) without data', () => {
  it('prints its note once on the page', async () => {
    const rows = makeCell('i', 4, 2, { condition: 'test-time-only', testTokens: 30 });
    const report = await writeReport({ results: rows, outDir: join(directory, 'no-d') });
    const page = visibleText(await readFile(report.htmlPath, 'utf8'));
    expect(page.split('no data: no predictability scores.').length - 1).toBe(1);
  });
});
