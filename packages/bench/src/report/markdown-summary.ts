/** summary.md: the headline sentences and the per-cell table of each experiment, in markdown. */
import { CONDITION_LABELS, type BootstrapSettings, type ClaimRules, type ExperimentAnalysis, type SummaryRow, type SweFeaturesAnalysis } from '../analysis/index.js';
import { escapeMarkdownCell } from './escape.js';
import { formatConfidence, formatInterval, formatPercent, formatTokens } from './format.js';
import { headlineGroups } from './headlines.js';
import { methodParagraphs } from './method-text.js';
import { NOT_RECORDED_LABEL, type ModelProvenanceSummary } from './provenance.js';
import { sweFeaturesHeadlineGroups, sweFeaturesMethod, sweFeaturesTableHeader, sweFeaturesTableRows, SWE_FEATURES_TABLE_FIRST_NUMBER_COLUMN } from './swe-features-text.js';

export interface MarkdownSummaryInput {
  title: string;
  notice: string | null;
  generatedAt: string;
  testTokenWeight: number;
  queriesPerContext: number;
  /** Per model, where its rows come from as recorded. */
  provenance: ReadonlyMap<string, ModelProvenanceSummary>;
  experiments: Array<{ analysis: ExperimentAnalysis; figureFiles: string[] }>;
  /** SWE-Features sections, after the others. */
  sweFeatures?: Array<{ analysis: SweFeaturesAnalysis; figureFiles: string[] }>;
  /** For the Method section. */
  intervals: BootstrapSettings;
  claimRules: ClaimRules;
}

/** The summary table's columns; the interval column names its confidence ("95% CI"). */
export function summaryTableHeader(settings: BootstrapSettings): string[] {
  return ['condition', 'sleep budget', 'test budget', 'n', 'accuracy', `${formatConfidence(settings.confidence)} CI`, 'avg test tokens', 'avg sleep tokens / run', 'errors'];
}

export function renderMarkdownSummary(input: MarkdownSummaryInput): string {
  const lines: string[] = [`# ${input.title}`, ''];
  if (input.notice !== null) lines.push(`> **Provenance:** ${input.notice}`, '');
  lines.push(
    `Generated ${input.generatedAt}. Tokens are generated tokens (output, reasoning included); t = ${input.testTokenWeight}. ` +
      'Rows that failed with an error count as wrong and are also counted under errors.',
    '',
  );
  const sweSections = input.sweFeatures ?? [];
  if (input.experiments.length === 0 && sweSections.length === 0) lines.push('No result rows: run `sleeptime bench` first.', '');
  for (const { analysis, figureFiles } of input.experiments) {
    const provenance = input.provenance.get(analysis.model);
    lines.push(`## ${analysis.dataset} · ${analysis.model} (${provenance?.label ?? NOT_RECORDED_LABEL})`, '');
    lines.push(`Provenance: ${provenance?.description ?? NOT_RECORDED_LABEL}.`, '');
    for (const group of headlineGroups(analysis, input)) {
      lines.push(`**${group.heading}**`, '');
      for (const sentence of group.sentences) lines.push(`- ${sentence}`);
      lines.push('');
    }
    lines.push(markdownTable(summaryTableHeader(analysis.intervals), analysis.summary.map(summaryCells)), '');
    if (figureFiles.length > 0) lines.push(`Figures: ${figureFiles.map((file) => `[${file}](${file})`).join(', ')}`, '');
  }
  for (const { analysis, figureFiles } of sweSections) {
    const provenance = input.provenance.get(analysis.model);
    lines.push(`## SWE-Features · ${analysis.model} (${provenance?.label ?? NOT_RECORDED_LABEL})`, '');
    lines.push(`Provenance: ${provenance?.description ?? NOT_RECORDED_LABEL}.`, '');
    for (const group of sweFeaturesHeadlineGroups(analysis)) {
      lines.push(`**${group.heading}**`, '');
      for (const sentence of group.sentences) lines.push(`- ${sentence}`);
      lines.push('');
    }
    lines.push(markdownTable(sweFeaturesTableHeader(analysis.intervals), sweFeaturesTableRows(analysis), SWE_FEATURES_TABLE_FIRST_NUMBER_COLUMN), '');
    if (figureFiles.length > 0) lines.push(`Figures: ${figureFiles.map((file) => `[${file}](${file})`).join(', ')}`, '');
  }
  lines.push('## Method', '');
  const method = [
    ...(input.experiments.length === 0 && sweSections.length > 0 ? [] : methodParagraphs(input.intervals, input.claimRules)),
    ...(sweSections.length === 0 ? [] : [sweFeaturesMethod(input.intervals, input.claimRules)]),
  ];
  for (const paragraph of method) lines.push(paragraph, '');
  return `${lines.join('\n').trimEnd()}\n`;
}

export function summaryCells(row: SummaryRow): string[] {
  return [
    row.samples === null ? CONDITION_LABELS[row.condition] : `${CONDITION_LABELS[row.condition]} (k=${row.samples})`,
    row.sleepBudget === null ? '—' : row.sleepBudgetLabel,
    row.testBudgetLabel,
    String(row.rows),
    formatPercent(row.accuracy),
    formatInterval(row.accuracyInterval),
    formatTokens(row.averageTestTokens),
    row.averageSleepTokensPerRun === null ? '—' : formatTokens(row.averageSleepTokensPerRun),
    String(row.errors),
  ];
}

function markdownTable(header: readonly string[], rows: readonly string[][], firstNumberColumn = 3): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
  const alignment = header.map((_, index) => (index >= firstNumberColumn ? '---:' : '---'));
  return [line(header), `| ${alignment.join(' | ')} |`, ...rows.map(line)].join('\n');
}
