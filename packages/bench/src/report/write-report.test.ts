import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelProvenance } from '@sleeptime/core';
import { makeCell, makeRow } from '../analysis/analysis-test-support.js';
import type { BenchResultRow, PredictabilityRow } from '../bench-types.js';
import { escapeXml } from './escape.js';
import { NO_DATA_NOTES } from './figure-specs.js';
import { PIPELINE_ONLY_SENTENCE, provenanceNotice, summarizeProvenance } from './provenance.js';
import { occurrences, visibleText } from './report-test-support.js';
import { namespaceSvgIds, writeReport } from './write-report.js';
import { xmlWellFormednessProblems } from './xml-well-formedness.js';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-report-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const SCRIPTED = 'openai-compatible:scripted-model';
const SCRIPTED_SERVER: ModelProvenance = { kind: 'scripted', source: 'server', detail: "sleeptime_provenance of scripted-model in the server's model list = scripted" };
const HOSTED: ModelProvenance = { kind: 'real', source: 'provider', detail: 'hosted openai model' };
const REAL_FILE: ModelProvenance = { kind: 'real', source: 'model-file', detail: 'no sleeptime.provenance marker in the file' };
const RANDOM_FILE: ModelProvenance = { kind: 'random-weights', source: 'model-file', detail: 'sleeptime.provenance = random-weights' };

/** A full grid on one dataset: every figure has data. Multi-query: 3 contexts of 4 queries. */
function fullGrid(model: string, provenance?: ModelProvenance): { results: BenchResultRow[]; predictability: PredictabilityRow[] } {
  const results: BenchResultRow[] = [];
  const predictability: PredictabilityRow[] = [];
  for (let context = 0; context < 3; context += 1) {
    for (let query = 0; query < 4; query += 1) {
      const itemId = `c${context}/q${query}`;
      const contextGroup = `c${context}`;
      const position = context * 4 + query;
      predictability.push({ dataset: 'multi-query-p1', itemId, model: 'llama:/models/base.gguf', logProbability: -30 + position, queryTokens: 9, provenance: REAL_FILE });
      for (const verbosity of [0, 2, 4] as const) {
        const testBudget = { verbosity };
        results.push(
          makeRow({ itemId, contextGroup, model, provenance, dataset: 'multi-query-p1', condition: 'test-time-only', testBudget, correct: position % 3 === 0, testTokens: 40 + 60 * verbosity }),
        );
        for (const parallel of [1, 2]) {
          results.push(
            makeRow({
              itemId,
              contextGroup,
              model,
              provenance,
              dataset: 'multi-query-p1',
              condition: 'sleep-time',
              testBudget,
              sleepBudget: { parallel },
              sleepRunKey: `${contextGroup}|k=${parallel}`,
              sleepTokens: 300 * parallel,
              correct: position % 3 !== 2,
              testTokens: 10 + 20 * verbosity,
            }),
          );
        }
      }
      results.push(makeRow({ itemId, contextGroup, model, provenance, dataset: 'multi-query-p1', condition: 'pass-at-k', samples: 3, correct: position % 2 === 0, testTokens: 120 }));
    }
  }
  results.push(
    makeRow({ itemId: 'c0/q0', contextGroup: 'c0', model, provenance, dataset: 'multi-query-p1', condition: 'context-only', correct: false, testTokens: 50, error: { code: 'upstream_timeout', message: 'timed out' } }),
  );
  return { results, predictability };
}

describe('writeReport', () => {
  it('writes a self-contained page, one well-formed SVG per figure, and a markdown summary', async () => {
    const outDir = join(directory, 'full');
    const { results, predictability } = fullGrid(SCRIPTED, SCRIPTED_SERVER);
    const report = await writeReport({ results, predictability, outDir, title: 'Test report', generatedAt: new Date('2026-01-02T03:04:05Z') });

    expect(report.htmlPath).toBe(join(outDir, 'index.html'));
    expect(report.markdownPath).toBe(join(outDir, 'summary.md'));
    expect(report.figures.map((path) => basename(path))).toEqual([
      'figure-a-pareto.svg',
      'figure-b-sleep-budget.svg',
      'figure-c-amortized-cost.svg',
      'figure-d-predictability.svg',
      'figure-e-pass-at-k.svg',
    ]);
    expect((await readdir(outDir)).sort()).toEqual([...report.figures.map((path) => basename(path)), 'index.html', 'summary.md'].sort());

    const html = await readFile(report.htmlPath, 'utf8');
    for (const path of report.figures) {
      const svg = await readFile(path, 'utf8');
      expect(xmlWellFormednessProblems(svg), basename(path)).toEqual([]);
      expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg /);
      // Every figure has data here: a chart, not a note.
      expect(svg, basename(path)).toContain('class="marks"');
      expect(svg, basename(path)).not.toContain('no data');
      // The page carries the same SVG inline.
      const inline = svg.replace(/^<\?xml[^>]*\?>\n/, '').trim();
      expect(html.includes(inline), basename(path)).toBe(true);
    }
    // Legends and axes name what is drawn.
    const pareto = await readFile(join(outDir, 'figure-a-pareto.svg'), 'utf8');
    for (const label of ['test-time only', 'sleep-time (k=1)', 'sleep-time (k=2)', 'pass@k', 'context only', 'sleep-time Pareto front']) {
      expect(pareto).toContain(`>${label}<`);
    }
    expect(await readFile(join(outDir, 'figure-d-predictability.svg'), 'utf8')).toContain('most predictable');

    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|href="http/i);
    expect(html.match(/<svg /g)).toHaveLength(5);
    for (const id of ['figure-a-pareto', 'figure-b-sleep-budget', 'figure-c-amortized-cost', 'figure-d-predictability', 'figure-e-pass-at-k']) {
      expect(html).toContain(`<figure id="${id}">`);
    }
    // Ids must be unique across the inline SVGs of one page.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    expect(new Set(ids).size).toBe(ids.length);

    // The provenance notice comes first, above every figure.
    const notice = html.indexOf('class="provenance"');
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(html.indexOf('<figure'));
    expect(html).toContain(escapeXml(PIPELINE_ONLY_SENTENCE));
    expect(html).toContain(escapeXml(`${SCRIPTED} (scripted, from the server's model list)`));
    // Every figure says where its data came from: the results' model, and figure (d) its scores too.
    for (const path of report.figures) expect(await readFile(path, 'utf8'), basename(path)).toContain(escapeXml(`${SCRIPTED} (scripted)`));
    expect(await readFile(join(outDir, 'figure-d-predictability.svg'), 'utf8')).toContain('scores: real weights');

    const markdown = await readFile(report.markdownPath, 'utf8');
    expect(markdown.startsWith(`# Test report\n\n> **Provenance:** These results come from scripted or random-weight models: ${SCRIPTED} (scripted, from the server's model list).`)).toBe(true);
    expect(markdown).toContain(`## multi-query-p1 · ${SCRIPTED} (scripted)\n\nProvenance: scripted, from the server's model list.`);
    expect(markdown).toContain('| condition | sleep budget | test budget | n | accuracy | 95% CI | avg test tokens | avg sleep tokens / run | errors |');
    // Test-time only at verbosity 0: items 0, 3, 6, 9 of 12 right; 40 tokens each. The interval
    // resamples the 3 contexts (2, 1 and 1 of 4 right): all three drawn from the 1-of-4 ones happens
    // (2/3)^3 = 30% of the time (25%), all from the 2-of-4 one 1/27 = 3.7% (50%).
    expect(markdown).toContain('| test-time only | — | verbosity 0 | 12 | 33.3% | 25.0–50.0% | 40 | — | 0 |');
    // Sleep-time k=2 at verbosity 4: 8 of 12 right (3, 3 and 2 of 4 a context), 90 tokens, one 600-token run per context.
    expect(markdown).toContain('| sleep-time | k=2 | verbosity 4 | 12 | 66.7% | 50.0–75.0% | 90 | 600 | 0 |');
    expect(markdown).toContain('| context only | — | verbosity 0 | 1 | 0.0% | 0.0–0.0% | 50 | — | 1 |');
    expect(markdown).toContain('1 of 121 rows failed after retries and count as wrong: context only upstream_timeout ×1.');
    expect(markdown).toContain('Generated 2026-01-02T03:04:05.000Z.');
  });

  it('shows a note saying what to run instead of an empty chart', async () => {
    const outDir = join(directory, 'sparse');
    // Test-time only alone: no sleep-time, no pass@k, no scores.
    const results = makeCell('t', 4, 2, { condition: 'test-time-only', testTokens: 30, model: 'anthropic:claude-sonnet-4-5', provenance: HOSTED });
    const report = await writeReport({ results, outDir });
    const notes: Record<string, string> = {
      'figure-b-sleep-budget.svg': NO_DATA_NOTES.noSleepTime,
      'figure-c-amortized-cost.svg': NO_DATA_NOTES.noCostComparison,
      'figure-d-predictability.svg': NO_DATA_NOTES.noPredictability,
      'figure-e-pass-at-k.svg': NO_DATA_NOTES.noPassAtK,
    };
    const html = await readFile(report.htmlPath, 'utf8');
    for (const [file, note] of Object.entries(notes)) {
      const svg = await readFile(join(outDir, file), 'utf8');
      expect(xmlWellFormednessProblems(svg), file).toEqual([]);
      expect(svg, file).not.toContain('class="marks"');
      // The SVG wraps the note over lines: compare the words.
      const svgWords = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]).join(' ');
      expect(svgWords, file).toContain(escapeXml(note));
      // The page shows the figure's SVG, which prints the note: once, not again beside it.
      expect(occurrences(visibleText(html), note), file).toBe(1);
    }
    expect(await readFile(join(outDir, 'figure-a-pareto.svg'), 'utf8')).toContain('class="marks"');
    // A real model: no provenance warning.
    expect(html).not.toContain('class="provenance"');
    expect(await readFile(report.markdownPath, 'utf8')).not.toContain('> **Provenance:**');
  });

  it('warns when only the predictability scores come from a random-weight model', async () => {
    const outDir = join(directory, 'random-scorer');
    const { results, predictability } = fullGrid('openai:gpt-4o', HOSTED);
    const randomScores = predictability.map((row) => ({ ...row, model: 'llama:/models/scorer.gguf', provenance: RANDOM_FILE }));
    const report = await writeReport({ results, predictability: randomScores, outDir });
    const html = await readFile(report.htmlPath, 'utf8');
    expect(html).toContain('class="provenance"');
    expect(html).toContain('llama:/models/scorer.gguf (random weights, from the model file)');
    expect(await readFile(join(outDir, 'figure-d-predictability.svg'), 'utf8')).toContain('scores: random weights');
  });

  it('labels a real model file in a temporary folder real weights, as recorded, with no warning', async () => {
    // The old report guessed from the path and called this a pipeline check.
    const outDir = join(directory, 'real-in-tmp');
    const model = `llama:${join(tmpdir(), 'sleeptime-x', 'random-looking.gguf')}`;
    const { results } = fullGrid(model, REAL_FILE);
    const report = await writeReport({ results, outDir });
    const html = await readFile(report.htmlPath, 'utf8');
    expect(html).not.toContain('class="provenance"');
    expect(html).toContain(`<h2>multi-query-p1 · ${escapeXml(model)} (real weights)</h2>`);
    expect(html).toContain(`<code>${escapeXml(model)}</code> (real weights, from the model file)`);
    expect(await readFile(join(outDir, 'figure-a-pareto.svg'), 'utf8')).toContain(escapeXml(`${model} (real weights)`));
    expect(await readFile(report.markdownPath, 'utf8')).not.toContain(PIPELINE_ONLY_SENTENCE);
  });

  it('labels a scripted model scripted whatever its name, as recorded', async () => {
    const outDir = join(directory, 'scripted-any-name');
    const { results } = fullGrid('openai-compatible:gpt-4o-mini', SCRIPTED_SERVER);
    const report = await writeReport({ results, outDir });
    const markdown = await readFile(report.markdownPath, 'utf8');
    expect(markdown).toContain("These results come from scripted or random-weight models: openai-compatible:gpt-4o-mini (scripted, from the server's model list).");
    expect(markdown).toContain(PIPELINE_ONLY_SENTENCE);
  });

  it('says "provenance not recorded" for results written before it was, and guesses nothing', async () => {
    const outDir = join(directory, 'not-recorded');
    const { results } = fullGrid(SCRIPTED);
    const report = await writeReport({ results, outDir });
    const markdown = await readFile(report.markdownPath, 'utf8');
    expect(markdown).toContain(`> **Provenance:** No provenance recorded for ${SCRIPTED} (results written before sleeptime recorded it)`);
    expect(markdown).toContain(`## multi-query-p1 · ${SCRIPTED} (provenance not recorded)`);
    // Not called scripted for its name.
    expect(markdown).not.toContain(PIPELINE_ONLY_SENTENCE);
    expect(await readFile(join(outDir, 'figure-a-pareto.svg'), 'utf8')).toContain(escapeXml(`${SCRIPTED} (provenance not recorded)`));
  });

  it('says why predictability has no chart when its scores match no compared item', async () => {
    const outDir = join(directory, 'unmatched');
    const { results } = fullGrid('openai:gpt-4o');
    const predictability = [{ dataset: 'multi-query-p1', itemId: 'not-in-results', model: 'm', logProbability: -3, queryTokens: 2 }];
    await writeReport({ results, predictability, outDir });
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    expect(html).toContain(escapeXml(NO_DATA_NOTES.predictabilityUnmatched));
    // Said once on the page (the figure's SVG prints it), not twice.
    expect(occurrences(visibleText(html), NO_DATA_NOTES.predictabilityUnmatched)).toBe(1);
  });

  it('writes five notes for an empty results file', async () => {
    const outDir = join(directory, 'empty');
    const report = await writeReport({ results: [], outDir });
    expect(report.figures).toHaveLength(5);
    for (const path of report.figures) {
      const svg = await readFile(path, 'utf8');
      expect(xmlWellFormednessProblems(svg)).toEqual([]);
      expect(svg).toContain('no data: the results have no rows.');
    }
    expect(await readFile(report.markdownPath, 'utf8')).toContain('No result rows: run `sleeptime bench` first.');
  });

  it('names each experiment’s figures apart and shows the caller’s provenance note', async () => {
    const outDir = join(directory, 'two');
    const results = [
      ...makeCell('a', 2, 1, { condition: 'test-time-only', testTokens: 10, dataset: 'aime', model: 'openai:o3-mini', provenance: HOSTED }),
      ...makeCell('g', 2, 1, { condition: 'test-time-only', testTokens: 10, dataset: 'gsm-symbolic-p2', model: 'llama:/models/qwen2.5-1.5b-instruct-q4_k_m.gguf', provenance: REAL_FILE }),
    ];
    const note = 'Smoke run of the CI pipeline.';
    const report = await writeReport({ results, outDir, provenanceNote: note });
    expect(report.figures.map((path) => basename(path))).toEqual([
      'figure-a-pareto--aime--openai-o3-mini.svg',
      'figure-b-sleep-budget--aime--openai-o3-mini.svg',
      'figure-c-amortized-cost--aime--openai-o3-mini.svg',
      'figure-d-predictability--aime--openai-o3-mini.svg',
      'figure-e-pass-at-k--aime--openai-o3-mini.svg',
      'figure-a-pareto--gsm-symbolic-p2--qwen2-5-1-5b-instruct-q4-k-m.svg',
      'figure-b-sleep-budget--gsm-symbolic-p2--qwen2-5-1-5b-instruct-q4-k-m.svg',
      'figure-c-amortized-cost--gsm-symbolic-p2--qwen2-5-1-5b-instruct-q4-k-m.svg',
      'figure-d-predictability--gsm-symbolic-p2--qwen2-5-1-5b-instruct-q4-k-m.svg',
      'figure-e-pass-at-k--gsm-symbolic-p2--qwen2-5-1-5b-instruct-q4-k-m.svg',
    ]);
    const html = await readFile(report.htmlPath, 'utf8');
    expect(html).toContain(`<div class="provenance" role="alert"><strong>Provenance:</strong> ${note}</div>`);
    expect(html.match(/<svg /g)).toHaveLength(10);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('applies the test-time token weight to the cost figure and the summary', async () => {
    const outDir = join(directory, 'weight');
    const results = [
      makeRow({ itemId: 'x', condition: 'test-time-only', correct: false, testTokens: 100 }),
      makeRow({ itemId: 'x', condition: 'sleep-time', correct: true, testTokens: 20, sleepTokens: 1000 }),
    ];
    await writeReport({ results, outDir, testTokenWeight: 3 });
    const markdown = await readFile(join(outDir, 'summary.md'), 'utf8');
    // N = 10: sleep-time 1000/10 + 3*20 = 160; test-time only 3*100 = 300.
    expect(markdown).toContain('sleep-time (k=1) 160, test-time only 300');
    expect(await readFile(join(outDir, 'figure-c-amortized-cost.svg'), 'utf8')).toContain('t = 3');
  });
});

describe('provenance', () => {
  const rows = (model: string, provenance: ModelProvenance | undefined, count = 2) => Array.from({ length: count }, () => ({ model, ...(provenance === undefined ? {} : { provenance }) }));

  it('labels each model from its rows, and says when they disagree', () => {
    const summaries = summarizeProvenance([
      ...rows('openai:gpt-4o', HOSTED),
      ...rows('llama:/m.gguf', RANDOM_FILE),
      ...rows('old', undefined),
      ...rows('resumed', REAL_FILE, 3),
      ...rows('resumed', undefined, 1),
    ]);
    expect([...summaries.values()].map((summary) => [summary.model, summary.label])).toEqual([
      ['openai:gpt-4o', 'real weights'],
      ['llama:/m.gguf', 'random weights'],
      ['old', 'provenance not recorded'],
      ['resumed', 'mixed: real weights (3 rows); provenance not recorded (1 rows)'],
    ]);
    expect(summaries.get('openai:gpt-4o')?.description).toBe('real weights, hosted provider');
  });

  it('writes a notice only when there is something to say', () => {
    const notice = (...groups: Array<Array<{ model: string; provenance?: ModelProvenance }>>) => (note?: string) =>
      provenanceNotice(summarizeProvenance(groups.flat()).values(), note);
    expect(notice(rows('openai:gpt-4o', HOSTED))()).toBeNull();
    expect(notice(rows('openai:gpt-4o', HOSTED))('hand note')).toBe('hand note');
    expect(notice(rows('x', { kind: 'scripted', source: 'model' }))()).toContain(PIPELINE_ONLY_SENTENCE);
    // A user's statement is shown as such.
    expect(notice(rows('llama:/m.gguf', { kind: 'random-weights', source: 'stated' }))()).toContain('llama:/m.gguf (random weights, as stated by the user)');
    expect(notice(rows('openai-compatible:m', { kind: 'unknown', source: 'server', detail: 'GET http://h/v1/models: status 404' }))()).toBe(
      'Where the results of openai-compatible:m (provenance unknown: GET http://h/v1/models: status 404) come from is unknown: they may not be from a real model.',
    );
    expect(notice(rows('old', undefined))()).toMatch(/^No provenance recorded for old /);
  });
});

describe('namespaceSvgIds', () => {
  it('prefixes ids and the references to them, and nothing else', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/><a href="#elsewhere"/></g></svg>';
    expect(namespaceSvgIds(svg, 'figure-a')).toBe(
      '<svg><defs><clipPath id="figure-a-clip1"><rect/></clipPath></defs><g clip-path="url(#figure-a-clip1)"><use href="#figure-a-clip1"/><a href="#elsewhere"/></g></svg>',
    );
  });
});

describe('xmlWellFormednessProblems', () => {
  it('accepts well-formed XML and finds each kind of problem', () => {
    expect(xmlWellFormednessProblems('<?xml version="1.0"?>\n<svg a="1 &amp; 2"><!-- c --><t>x &lt; y &#35;</t><e/></svg>')).toEqual([]);
    expect(xmlWellFormednessProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlWellFormednessProblems('<svg><g></g>')).not.toEqual([]);
    expect(xmlWellFormednessProblems('<svg>a & b</svg>')).not.toEqual([]);
    expect(xmlWellFormednessProblems('<svg a=1></svg>')).not.toEqual([]);
    expect(xmlWellFormednessProblems('<svg a="1" a="2"></svg>')).not.toEqual([]);
    expect(xmlWellFormednessProblems('<svg></svg><svg></svg>')).not.toEqual([]);
    expect(xmlWellFormednessProblems('<svg a="x"b="y"></svg>')).not.toEqual([]);
  });
});
