/**
 * `writeReport`: from result rows (and optional predictability scores) to a folder with a
 * self-contained `index.html`, one SVG file per figure and `summary.md`. SWE-Features rows get
 * sections of their own: headlines, figure (f) and the per-cell table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  analyzeResults,
  analyzeSweFeaturesResults,
  bootstrapSettings,
  claimRules,
  DEFAULT_MAX_QUERIES_PER_CONTEXT,
  DEFAULT_TEST_TOKEN_WEIGHT,
  type BootstrapOptions,
  type ClaimRuleOptions,
  type ExperimentAnalysis,
  type PredictabilityOptions,
  type SweFeaturesAnalysis,
} from '../analysis/index.js';
import type { BenchResultRow, PredictabilityRow } from '../bench-types.js';
import type { SweFeaturesResultRow } from '../swe-features/swe-features-result-row.js';
import { emptyFigureDefinitions, figureDefinitions, type FigureDefinition } from './figure-specs.js';
import { renderHtmlPage, type RenderedFigure } from './html-page.js';
import { renderMarkdownSummary } from './markdown-summary.js';
import { provenanceNotice, summarizeProvenance } from './provenance.js';
import { renderNoDataSvg, renderVegaLiteSvg } from './render-svg.js';
import { sweFeaturesFigure } from './swe-features-figure.js';

export const DEFAULT_REPORT_TITLE = 'Sleep-time compute: benchmark report';

export interface WriteReportOptions {
  results: BenchResultRow[];
  /** SWE-Features rows (`runSweFeaturesBench`), reported in sections of their own. */
  sweFeatures?: SweFeaturesResultRow[];
  predictability?: PredictabilityRow[];
  outDir: string;
  title?: string;
  /** `t`: a test-time token costs this many sleep-time tokens. Default 10. */
  testTokenWeight?: number;
  /** N for the analytical cost curves and the equal-accuracy cost ratio. Default 10. */
  maxQueriesPerContext?: number;
  /** Shown at the top, e.g. "CI run on a scripted model: figures check the pipeline, not the method". */
  provenanceNote?: string;
  predictabilityOptions?: PredictabilityOptions;
  /** The bootstrap behind every accuracy interval. Default: 2,000 resamples, 95%, seed 0. */
  intervals?: BootstrapOptions;
  /** When a headline may state a token saving. Default: accuracy at least 10%, at least 30 items a cell. */
  claimRules?: ClaimRuleOptions;
  /** Fixes the "generated at" time (tests, reproducible reports). Default: now. */
  generatedAt?: Date;
}

export interface WriteReportResult {
  htmlPath: string;
  markdownPath: string;
  /** Paths of the figure SVG files, in page order. */
  figures: string[];
}

export async function writeReport(options: WriteReportOptions): Promise<WriteReportResult> {
  const testTokenWeight = options.testTokenWeight ?? DEFAULT_TEST_TOKEN_WEIGHT;
  const queriesPerContext = options.maxQueriesPerContext ?? DEFAULT_MAX_QUERIES_PER_CONTEXT;
  const title = options.title ?? DEFAULT_REPORT_TITLE;
  const generatedAt = (options.generatedAt ?? new Date()).toISOString();
  const intervals = bootstrapSettings(options.intervals);
  const rules = claimRules(options.claimRules);
  const analyses = analyzeResults(options.results, options.predictability, {
    testTokenWeight,
    maxQueriesPerContext: queriesPerContext,
    intervals,
    claimRules: rules,
    ...(options.predictabilityOptions === undefined ? {} : { predictability: options.predictabilityOptions }),
  });
  const sweRows = options.sweFeatures ?? [];
  const sweAnalyses = analyzeSweFeaturesResults(sweRows, { intervals, claimRules: rules });
  const models = [...new Set([...options.results, ...sweRows].map((row) => row.model))];
  // As the runner and the scorer recorded it on each row; a random-weight scoring model makes
  // figure (d) a pipeline check too.
  const provenance = summarizeProvenance([...options.results, ...(options.predictability ?? []), ...sweRows]);
  const notice = provenanceNotice(provenance.values(), options.provenanceNote);
  const provenanceLabelOf = (model: string) => provenance.get(model)?.label;

  await mkdir(options.outDir, { recursive: true });
  const experiments: Array<{ analysis: ExperimentAnalysis | null; figures: RenderedFigure[] }> = [];
  const usedNames = new Set<string>();
  // Results of SWE-Features alone have no question-answering section, not even an empty one.
  const sources: Array<{ analysis: ExperimentAnalysis | null; definitions: FigureDefinition[] }> =
    analyses.length === 0
      ? sweAnalyses.length === 0
        ? [{ analysis: null, definitions: emptyFigureDefinitions() }]
        : []
      : analyses.map((analysis) => ({ analysis, definitions: figureDefinitions(analysis, provenanceLabelOf) }));
  const renderFigures = async (definitions: readonly FigureDefinition[], suffix: string): Promise<RenderedFigure[]> => {
    const figures: RenderedFigure[] = [];
    for (const definition of definitions) {
      const fileName = uniqueName(`figure-${definition.id}-${definition.slug}${suffix}`, usedNames);
      const raw = definition.spec === null ? renderNoDataSvg(definition.title, definition.noDataNote ?? 'no data') : await renderVegaLiteSvg(definition.spec);
      const svg = namespaceSvgIds(raw, fileName.replace(/\.svg$/, ''));
      await writeFile(join(options.outDir, fileName), `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`, 'utf8');
      figures.push({ definition, svg, fileName });
    }
    return figures;
  };
  for (const source of sources) {
    const suffix = sources.length === 1 || source.analysis === null ? '' : `--${slug(source.analysis.dataset)}--${slug(source.analysis.model)}`;
    experiments.push({ analysis: source.analysis, figures: await renderFigures(source.definitions, suffix) });
  }
  const named = (model: string) => {
    const label = provenanceLabelOf(model);
    return label === undefined ? model : `${model} (${label})`;
  };
  const sweSections: Array<{ analysis: SweFeaturesAnalysis; figures: RenderedFigure[] }> = [];
  for (const analysis of sweAnalyses) {
    const suffix = sweAnalyses.length === 1 ? '' : `--${slug(analysis.model)}`;
    sweSections.push({ analysis, figures: await renderFigures([sweFeaturesFigure(analysis, named)], suffix) });
  }

  const htmlPath = join(options.outDir, 'index.html');
  const markdownPath = join(options.outDir, 'summary.md');
  await writeFile(
    htmlPath,
    renderHtmlPage({
      title,
      notice,
      generatedAt,
      testTokenWeight,
      queriesPerContext,
      models,
      provenance,
      totalRows: options.results.length + sweRows.length,
      experiments,
      sweFeatures: sweSections,
      intervals,
      claimRules: rules,
    }),
    'utf8',
  );
  await writeFile(
    markdownPath,
    renderMarkdownSummary({
      title,
      notice,
      generatedAt,
      testTokenWeight,
      queriesPerContext,
      provenance,
      intervals,
      claimRules: rules,
      experiments: experiments.flatMap(({ analysis, figures }) => (analysis === null ? [] : [{ analysis, figureFiles: figures.map((figure) => figure.fileName) }])),
      sweFeatures: sweSections.map(({ analysis, figures }) => ({ analysis, figureFiles: figures.map((figure) => figure.fileName) })),
    }),
    'utf8',
  );
  return {
    htmlPath,
    markdownPath,
    figures: [...experiments, ...sweSections].flatMap(({ figures }) => figures.map((figure) => join(options.outDir, figure.fileName))),
  };
}

/**
 * Several SVGs inline in one page share one id space; Vega numbers its clip paths and gradients
 * from 1 in each view, so prefix every id (and every reference to one) with the figure's name.
 */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1] as string));
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (whole, start: string, id: string) => (ids.has(id) ? `${start}${prefix}-${id}"` : whole))
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${prefix}-${id})` : whole))
    .replace(/(href=")#([^"]+)"/g, (whole, start: string, id: string) => (ids.has(id) ? `${start}#${prefix}-${id}"` : whole));
}

function slug(text: string): string {
  const cleaned = text
    .replace(/^[a-z-]+:/i, (provider) => provider.replace(':', '-'))
    .split(/[\\/]/)
    .filter((part) => part !== '')
    .slice(-1)[0]
    ?.toLowerCase()
    .replace(/\.gguf$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (cleaned ?? '').slice(0, 40) || 'unnamed';
}

function uniqueName(base: string, used: Set<string>): string {
  let name = `${base}.svg`;
  for (let counter = 2; used.has(name); counter += 1) name = `${base}-${counter}.svg`;
  used.add(name);
  return name;
}
