/**
 * Where the results came from. Figures from a scripted model or a random-weight GGUF show that the
 * pipeline runs end to end; they say nothing about sleep-time compute, and the report must say so
 * where nobody can miss it.
 */
import { tmpdir } from 'node:os';
import { basename } from 'node:path';

/** `scripted`/`mock` anywhere in the spec (e.g. `openai-compatible:scripted-model`, `mock:...`). */
const SCRIPTED_NAME = /scripted|(^|[^a-z])mock/i;
/** The test GGUFs (`writeRandomLlamaGguf`) are named so, and live in temporary folders. */
const RANDOM_WEIGHTS_NAME = /random/i;

/** The model specs among `models` that look scripted, mocked, or random-weight. */
export function detectPipelineOnlyModels(models: readonly string[], temporaryDirectory: string = tmpdir()): string[] {
  return models.filter((model) => {
    if (SCRIPTED_NAME.test(model)) return true;
    if (!model.toLowerCase().startsWith('llama:')) return false;
    const path = model.slice('llama:'.length);
    return RANDOM_WEIGHTS_NAME.test(basename(path)) || path.startsWith(`${temporaryDirectory}/`) || path.startsWith('/tmp/');
  });
}

export const PIPELINE_ONLY_SENTENCE =
  'Figures from scripted or random-weight models check the pipeline, not the method: they say nothing about whether sleep-time compute works.';

/**
 * The notice for the top of the report, or null when there is nothing to warn about. The caller's
 * `provenanceNote` (e.g. "CI run on a scripted server: figures check the pipeline, not the method")
 * always shows, as given; detected models add the standard sentence naming them.
 */
export function provenanceNotice(models: readonly string[], provenanceNote?: string): string | null {
  const flagged = detectPipelineOnlyModels(models);
  const parts: string[] = [];
  if (provenanceNote !== undefined && provenanceNote.trim() !== '') parts.push(provenanceNote.trim());
  if (flagged.length > 0) parts.push(`These results come from a scripted or random-weight model (${flagged.join(', ')}). ${PIPELINE_ONLY_SENTENCE}`);
  return parts.length === 0 ? null : parts.join(' ');
}
