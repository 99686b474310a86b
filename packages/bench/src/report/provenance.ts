/**
 * Where the results came from, as the runner recorded it on each row (`BenchResultRow.provenance`,
 * see `@sleeptime/core`'s model-provenance.ts), never guessed from a model's name or path. Every
 * figure carries its model's label ("real weights", "scripted", "random weights"). Figures from a
 * scripted model or a random-weight GGUF show that the pipeline runs end to end; they say nothing
 * about sleep-time compute, and the notice at the top says so where nobody can miss it. Rows written
 * before provenance was recorded say "provenance not recorded".
 */
import type { ModelProvenance, ModelProvenanceKind } from '@sleeptime/core';

export const PIPELINE_ONLY_SENTENCE =
  'Figures from scripted or random-weight models check the pipeline, not the method: they say nothing about whether sleep-time compute works.';

export const NOT_RECORDED_LABEL = 'provenance not recorded';

const KIND_LABELS: Readonly<Record<ModelProvenanceKind, string>> = {
  real: 'real weights',
  scripted: 'scripted',
  'random-weights': 'random weights',
  unknown: 'provenance unknown',
};

const SOURCE_PHRASES: Readonly<Record<ModelProvenance['source'], string>> = {
  stated: 'as stated by the user',
  'model-file': 'from the model file',
  server: "from the server's model list",
  provider: 'hosted provider',
  model: 'as the model declares',
  none: 'nothing said',
};

/** "real weights", "scripted", "random weights", "provenance unknown" or "provenance not recorded". */
export function provenanceLabel(provenance: ModelProvenance | undefined): string {
  return provenance === undefined ? NOT_RECORDED_LABEL : KIND_LABELS[provenance.kind];
}

/** The label and how it is known, e.g. "scripted, from the server's model list". */
export function provenanceDescription(provenance: ModelProvenance | undefined): string {
  if (provenance === undefined) return NOT_RECORDED_LABEL;
  // Unknown: the reason is the useful part (a server that could not be asked, a model that says nothing).
  if (provenance.kind === 'unknown') return `${KIND_LABELS.unknown}: ${provenance.detail ?? SOURCE_PHRASES[provenance.source]}`;
  return `${KIND_LABELS[provenance.kind]}, ${SOURCE_PHRASES[provenance.source]}`;
}

/** What the rows of one model say about where they come from. */
export interface ModelProvenanceSummary {
  model: string;
  /** One entry per kind among the rows (`provenance` undefined: not recorded), in first-seen order. */
  entries: Array<{ provenance: ModelProvenance | undefined; rows: number }>;
  /** The one label figures carry: the kind's label, or "mixed: ..." when the rows disagree. */
  label: string;
  /** The label with how it is known, for the page's list of models. */
  description: string;
}

/** Groups rows (results or predictability scores) by model, then by recorded provenance kind. */
export function summarizeProvenance(rows: ReadonlyArray<{ model: string; provenance?: ModelProvenance | undefined }>): Map<string, ModelProvenanceSummary> {
  const byModel = new Map<string, Map<string, { provenance: ModelProvenance | undefined; rows: number }>>();
  for (const row of rows) {
    const entries = byModel.get(row.model) ?? new Map<string, { provenance: ModelProvenance | undefined; rows: number }>();
    byModel.set(row.model, entries);
    // Grouped by kind: details (a server's port, a resumed run's source) may differ between runs.
    const kind = row.provenance?.kind ?? 'not-recorded';
    const entry = entries.get(kind);
    if (entry === undefined) entries.set(kind, { provenance: row.provenance, rows: 1 });
    else entry.rows += 1;
  }
  const summaries = new Map<string, ModelProvenanceSummary>();
  for (const [model, entryMap] of byModel) {
    const entries = [...entryMap.values()];
    const single = entries.length === 1 ? entries[0] : undefined;
    const mixed = (describe: (provenance: ModelProvenance | undefined) => string) =>
      `mixed: ${entries.map((entry) => `${describe(entry.provenance)} (${entry.rows} rows)`).join('; ')}`;
    summaries.set(model, {
      model,
      entries,
      label: single === undefined ? mixed(provenanceLabel) : provenanceLabel(single.provenance),
      description: single === undefined ? mixed(provenanceDescription) : provenanceDescription(single.provenance),
    });
  }
  return summaries;
}

/**
 * The notice for the top of the report, or null when every model is recorded as real. The caller's
 * `provenanceNote` (e.g. "CI run on a scripted server") always shows, as given; then scripted and
 * random-weight models with the pipeline-only sentence; then models whose provenance is unknown or
 * was not recorded.
 */
export function provenanceNotice(summaries: Iterable<ModelProvenanceSummary>, provenanceNote?: string): string | null {
  const pipelineOnly: string[] = [];
  const unknown: string[] = [];
  const notRecorded: string[] = [];
  for (const summary of summaries) {
    const kinds = new Set(summary.entries.map((entry) => entry.provenance?.kind));
    const named = `${summary.model} (${summary.description})`;
    if (kinds.has('scripted') || kinds.has('random-weights')) pipelineOnly.push(named);
    else if (kinds.has('unknown')) unknown.push(named);
    else if (kinds.has(undefined)) notRecorded.push(summary.model);
  }
  const parts: string[] = [];
  if (provenanceNote !== undefined && provenanceNote.trim() !== '') parts.push(provenanceNote.trim());
  if (pipelineOnly.length > 0) parts.push(`These results come from scripted or random-weight models: ${pipelineOnly.join(', ')}. ${PIPELINE_ONLY_SENTENCE}`);
  if (unknown.length > 0) parts.push(`Where the results of ${unknown.join(', ')} come from is unknown: they may not be from a real model.`);
  if (notRecorded.length > 0)
    parts.push(`No provenance recorded for ${notRecorded.join(', ')} (results written before sleeptime recorded it): where these figures come from is not known.`);
  return parts.length === 0 ? null : parts.join(' ');
}
