/**
 * The report of SWE-Features results: figure (f) (F1 against test-time tokens, with Pareto fronts
 * and an interval at every point), the per-cell table, and headlines that follow the claim rules
 * with F1: a saving only with enough items and overlapping intervals, the reason otherwise, one
 * sentence when every F1 is 0.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { analyzeSweFeaturesResults } from '../analysis/index.js';
import { gridRows, sweRow } from '../analysis/swe-features-rows-test-support.js';
import { occurrences, specLayers, svgPoints, visibleText } from './report-test-support.js';
import { sweFeaturesFigure } from './swe-features-figure.js';
import { writeReport } from './write-report.js';
import { xmlWellFormednessProblems } from './xml-well-formedness.js';

let outDir: string;
beforeEach(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-swe-report-'));
  return () => rm(outDir, { recursive: true, force: true });
});

const generatedAt = new Date('2026-01-01T00:00:00Z');

describe('figure (f)', () => {
  it('draws one line per condition with a point and an interval per step budget, and both fronts', () => {
    const [analysis] = analyzeSweFeaturesResults(gridRows(40));
    const figure = sweFeaturesFigure(analysis as NonNullable<typeof analysis>, (model) => model);
    expect(figure).toMatchObject({ id: 'f', slug: 'swe-features-f1', noDataNote: null });
    const layers = specLayers(figure.spec as NonNullable<typeof figure.spec>);
    const points = layers.find((layer) => layer.mark !== null && typeof layer.mark === 'object' && (layer.mark as { type: string }).type === 'point');
    expect(points?.values.map((value) => [value.series, value.budget, value.tokens, value.accuracy])).toEqual([
      ['test-time only', '5 steps', 1000, expect.closeTo(0.3, 12)],
      ['test-time only', '10 steps', 2000, expect.closeTo(0.5, 12)],
      ['sleep-time notes (k=1)', '5 steps', 1200, expect.closeTo(0.5, 12)],
      ['sleep-time notes (k=1)', '10 steps', 1500, expect.closeTo(0.9, 12)],
    ]);
    for (const value of points?.values ?? []) expect((value.lower as number) <= (value.accuracy as number) && (value.accuracy as number) <= (value.upper as number)).toBe(true);
    const fronts = layers.find((layer) => layer.values.some((value) => 'front' in value));
    expect([...new Set(fronts?.values.map((value) => value.front))]).toEqual(['test-time only Pareto front', 'sleep-time notes Pareto front']);
  });
});

describe('writeReport with SWE-Features rows', () => {
  it('writes figure (f), the table and the claims the rules allow, and no empty question-answering figures', async () => {
    const report = await writeReport({ results: [], sweFeatures: gridRows(40), outDir, generatedAt });
    expect(report.figures.map((figure) => path.basename(figure))).toEqual(['figure-f-swe-features-f1.svg']);
    const svg = await readFile(report.figures[0] as string, 'utf8');
    expect(xmlWellFormednessProblems(svg)).toEqual([]);
    expect(svgPoints(svg)).toHaveLength(4);
    const html = visibleText(await readFile(report.htmlPath, 'utf8'));
    expect(html).toContain('SWE-Features · mock:scripted (scripted)');
    expect(html).toContain(
      'sleep-time notes (k=1) at 5 steps: F1 50.0% (95% CI ',
    );
    expect(html).toMatch(/test-time only needs 2,000 for the same F1 \(a measured point, 10 steps; 95% CI [\d.]+–[\d.]+%\): 1\.67× fewer test-time tokens\./);
    expect(html).toMatch(/sleep-time notes \(k=1\) at 10 steps: F1 90\.0% .*; test-time only never reaches that F1 at any step budget run/);
    expect(html).toContain('the notes cost 500 generated sleep-time tokens a run');
    expect(html).toContain('No row failed (160 rows).');
    expect(html).toContain('SWE-Features: each item is a feature');
    // Only the SWE-Features method: no question-answering section, no accuracy paragraphs.
    expect(html).not.toContain('Token reduction at equal accuracy');
    expect(html).not.toContain('No results');
    const markdown = await readFile(report.markdownPath, 'utf8');
    expect(markdown).toContain('| condition | steps N | n | mean F1 | 95% CI | precision | recall | steps used | said done | avg test tokens | avg sleep tokens / run | errors |');
    expect(markdown).toContain('| sleep-time notes (k=1) | 5 | 40 | 50.0% |');
    expect(occurrences(markdown, '| test-time only |')).toBe(2);
  });

  it('states no saving on too few items, and says why once', async () => {
    const report = await writeReport({ results: [], sweFeatures: gridRows(6), outDir, generatedAt });
    const markdown = await readFile(report.markdownPath, 'utf8');
    expect(markdown).toContain('- No token saving is claimed: 6 items, fewer than the 30 a claim needs.');
    expect(markdown).not.toContain('fewer test-time tokens');
    expect(occurrences(markdown, 'fewer than the 30 a claim needs')).toBe(1);
  });

  it('says in one sentence when every F1 is 0', async () => {
    const rows = [0, 1, 2].flatMap((item) => [
      sweRow({ item, condition: 'test-time-only', steps: 5, f1: 0, tokens: 100 }),
      sweRow({ item, condition: 'sleep-time', steps: 5, f1: 0, tokens: 80 }),
    ]);
    const report = await writeReport({ results: [], sweFeatures: rows, outDir, generatedAt });
    const markdown = await readFile(report.markdownPath, 'utf8');
    expect(markdown).toContain('- F1 is 0 in every cell (6 rows): no agent changed a file the real change touched, so no token saving can be claimed');
    expect(markdown).not.toContain('F1 against test-time only at the same step budget');
  });
});
