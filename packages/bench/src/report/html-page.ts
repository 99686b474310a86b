/**
 * index.html: one self-contained page (inline CSS and SVG, no scripts, no network) with the
 * provenance notice first, then per experiment the headline figures, the summary table and the
 * five figures.
 */
import type { BootstrapSettings, ClaimRules, ExperimentAnalysis, SweFeaturesAnalysis } from '../analysis/index.js';
import { escapeXml } from './escape.js';
import type { FigureDefinition } from './figure-specs.js';
import { headlineGroups } from './headlines.js';
import { summaryCells, summaryTableHeader } from './markdown-summary.js';
import { methodParagraphs } from './method-text.js';
import { NOT_RECORDED_LABEL, type ModelProvenanceSummary } from './provenance.js';
import { sweFeaturesHeadlineGroups, sweFeaturesMethod, sweFeaturesTableHeader, sweFeaturesTableRows, SWE_FEATURES_TABLE_FIRST_NUMBER_COLUMN } from './swe-features-text.js';

export interface RenderedFigure {
  definition: FigureDefinition;
  /** The SVG as written to `fileName`, ids made unique to this figure. */
  svg: string;
  fileName: string;
}

export interface HtmlPageInput {
  title: string;
  notice: string | null;
  generatedAt: string;
  testTokenWeight: number;
  queriesPerContext: number;
  models: string[];
  /** Per model (results and scores), where its rows come from as recorded. */
  provenance: ReadonlyMap<string, ModelProvenanceSummary>;
  totalRows: number;
  experiments: Array<{ analysis: ExperimentAnalysis | null; figures: RenderedFigure[] }>;
  /** SWE-Features sections, after the others (none when the results hold no SWE-Features rows). */
  sweFeatures?: Array<{ analysis: SweFeaturesAnalysis; figures: RenderedFigure[] }>;
  /** For the Method section. */
  intervals: BootstrapSettings;
  claimRules: ClaimRules;
}

const STYLE = `
  body { margin: 0; background: #f6f7f9; color: #1d1d1f; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 64px; background: #ffffff; }
  h1 { font-size: 26px; margin: 8px 0 12px; }
  h2 { font-size: 21px; margin: 40px 0 8px; padding-top: 12px; border-top: 2px solid #e3e6ea; }
  h3 { font-size: 16px; margin: 24px 0 8px; }
  h4 { font-size: 14.5px; margin: 14px 0 2px; color: #333333; }
  .provenance { margin: 12px 0 18px; padding: 14px 18px; border: 2px solid #c0392b; border-radius: 6px; background: #fdecea; color: #611a15; font-size: 16px; }
  .meta { color: #555555; font-size: 14px; }
  ul.headlines { padding-left: 20px; }
  ul.headlines li { margin: 4px 0; }
  table.summary { border-collapse: collapse; width: 100%; font-size: 13px; margin: 12px 0 8px; }
  table.summary th, table.summary td { border-bottom: 1px solid #e3e6ea; padding: 4px 8px; text-align: left; }
  table.summary td.number, table.summary th.number { text-align: right; font-variant-numeric: tabular-nums; }
  table.summary th { background: #f0f2f5; font-weight: 600; }
  figure { margin: 28px 0; padding: 16px; border: 1px solid #e3e6ea; border-radius: 6px; }
  figure svg { display: block; max-width: 100%; height: auto; }
  figcaption { color: #444444; font-size: 13.5px; margin-top: 8px; }
  .file { color: #777777; font-size: 12px; font-family: ui-monospace, monospace; }
  code { font-family: ui-monospace, monospace; font-size: 13px; }
`;

export function renderHtmlPage(input: HtmlPageInput): string {
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(input.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeXml(input.title)}</h1>`,
  ];
  if (input.notice !== null) parts.push(`<div class="provenance" role="alert"><strong>Provenance:</strong> ${escapeXml(input.notice)}</div>`);
  parts.push(
    `<p class="meta">Generated ${escapeXml(input.generatedAt)} from ${input.totalRows} result rows; ` +
      `model${input.models.length === 1 ? '' : 's'}: ${
        input.models
          .map((model) => `<code>${escapeXml(model)}</code> (${escapeXml(input.provenance.get(model)?.description ?? NOT_RECORDED_LABEL)})`)
          .join(', ') || 'none'
      }. ` +
      `Tokens are generated tokens (output, reasoning included); a test-time token costs t = ${input.testTokenWeight} sleep-time tokens. ` +
      'Rows that failed with an error count as wrong and are also counted under errors.</p>',
  );
  for (const experiment of input.experiments) parts.push(renderExperiment(experiment, input));
  const sweSections = input.sweFeatures ?? [];
  for (const section of sweSections) parts.push(renderSweFeatures(section, input));
  const method = [
    ...(input.experiments.length === 0 && sweSections.length > 0 ? [] : methodParagraphs(input.intervals, input.claimRules)),
    ...(sweSections.length === 0 ? [] : [sweFeaturesMethod(input.intervals, input.claimRules)]),
  ];
  parts.push('<h2>Method</h2>', ...method.map((paragraph) => `<p>${escapeXml(paragraph)}</p>`));
  parts.push('</main>', '</body>', '</html>');
  return `${parts.join('\n')}\n`;
}

function renderExperiment(experiment: HtmlPageInput['experiments'][number], input: HtmlPageInput): string {
  const parts: string[] = ['<section class="experiment">'];
  const { analysis } = experiment;
  if (analysis === null) {
    parts.push('<h2>No results</h2>');
  } else {
    parts.push(`<h2>${escapeXml(analysis.dataset)} · ${escapeXml(analysis.model)} (${escapeXml(input.provenance.get(analysis.model)?.label ?? NOT_RECORDED_LABEL)})</h2>`);
    for (const group of headlineGroups(analysis, input)) {
      parts.push(`<h4>${escapeXml(group.heading)}</h4>`, '<ul class="headlines">');
      for (const sentence of group.sentences) parts.push(`<li>${escapeXml(sentence)}</li>`);
      parts.push('</ul>');
    }
  }
  for (const figure of experiment.figures) parts.push(renderFigure(figure));
  if (analysis !== null) parts.push('<h3>All cells</h3>', summaryTableHtml(analysis));
  parts.push('</section>');
  return parts.join('\n');
}

function renderSweFeatures(section: NonNullable<HtmlPageInput['sweFeatures']>[number], input: HtmlPageInput): string {
  const { analysis } = section;
  const parts: string[] = [
    '<section class="experiment">',
    `<h2>SWE-Features · ${escapeXml(analysis.model)} (${escapeXml(input.provenance.get(analysis.model)?.label ?? NOT_RECORDED_LABEL)})</h2>`,
  ];
  for (const group of sweFeaturesHeadlineGroups(analysis)) {
    parts.push(`<h4>${escapeXml(group.heading)}</h4>`, '<ul class="headlines">');
    for (const sentence of group.sentences) parts.push(`<li>${escapeXml(sentence)}</li>`);
    parts.push('</ul>');
  }
  for (const figure of section.figures) parts.push(renderFigure(figure));
  const numeric = (index: number) => (index >= SWE_FEATURES_TABLE_FIRST_NUMBER_COLUMN ? ' class="number"' : '');
  const header = sweFeaturesTableHeader(analysis.intervals).map((cell, index) => `<th${numeric(index)}>${escapeXml(cell)}</th>`).join('');
  const rows = sweFeaturesTableRows(analysis)
    .map((cells) => `<tr>${cells.map((cell, index) => `<td${numeric(index)}>${escapeXml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  parts.push('<h3>All cells</h3>', `<table class="summary">\n<thead><tr>${header}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`, '</section>');
  return parts.join('\n');
}

function summaryTableHtml(analysis: ExperimentAnalysis): string {
  const numeric = (index: number) => (index >= 3 ? ' class="number"' : '');
  const header = summaryTableHeader(analysis.intervals).map((cell, index) => `<th${numeric(index)}>${escapeXml(cell)}</th>`).join('');
  const rows = analysis.summary
    .map((row) => `<tr>${summaryCells(row).map((cell, index) => `<td${numeric(index)}>${escapeXml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="summary">\n<thead><tr>${header}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
}

function renderFigure(figure: RenderedFigure): string {
  const { definition } = figure;
  // A figure without data is an SVG that prints its note (render-svg.ts): the page does not print it again.
  const caption = definition.caption === '' ? '' : `<figcaption>${escapeXml(definition.caption)}</figcaption>`;
  return [
    `<figure id="${escapeXml(figure.fileName.replace(/\.svg$/, ''))}">`,
    figure.svg,
    caption,
    `<p class="file">${escapeXml(figure.fileName)}</p>`,
    '</figure>',
  ].join('\n');
}
