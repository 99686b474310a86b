/**
 * `scoreQueryLogProbability`: log p(query | context) per item (SPEC section 2, predictability),
 * from a GGUF model run in-process or from an OpenAI-compatible server with prompt
 * log-probabilities. The paper scored with a base model (Llama-2-70B); a base model, not an
 * instruct one, is what this measure means. Every row records the scoring model's provenance (the
 * GGUF file's marker, the server's declaration, or the caller's statement), as the bench runner does.
 */
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import {
  SleeptimeError,
  errorMessage,
  loadLlamaPackage,
  parseModelSpec,
  provenanceFromGgufMetadata,
  requestServerProvenance,
  systemError,
  userError,
  type ModelProvenance,
  type StatedProvenanceKind,
} from '@sleeptime/core';
import type * as LlamaInternals from '@sleeptime/llama/internal';
import type { PredictabilityRow } from '../bench-types.js';
import { scoreWithLlamaModel } from './llama-query-scorer.js';
import { scoreWithOpenAiCompatibleServer, type OpenAiCompatibleQueryScorerOptions } from './openai-compatible-query-scorer.js';
import type { PredictabilityItem, ScoringProgress } from './predictability-item.js';

export type QueryScoringModel =
  | { kind: 'llama'; modelPath: string; contextSize?: number; threads?: number }
  | ({ kind: 'openai-compatible' } & Omit<OpenAiCompatibleQueryScorerOptions, 'separator' | 'onProgress' | 'signal'>);

export interface ScoreQueryLogProbabilityOptions {
  scorer: QueryScoringModel;
  /** Between context and query. Default one space. */
  separator?: string;
  onProgress?: (progress: ScoringProgress) => void;
  signal?: AbortSignal;
  /** Where the scoring model comes from, as the caller knows it: recorded as `stated` instead of detected. */
  provenance?: StatedProvenanceKind;
}

function withProvenance(rows: PredictabilityRow[], provenance: ModelProvenance): PredictabilityRow[] {
  return rows.map((row) => ({ ...row, provenance }));
}

export async function scoreQueryLogProbability(
  items: readonly PredictabilityItem[],
  options: ScoreQueryLogProbabilityOptions,
): Promise<PredictabilityRow[]> {
  const shared = {
    ...(options.separator === undefined ? {} : { separator: options.separator }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const { scorer } = options;
  const stated: ModelProvenance | undefined = options.provenance === undefined ? undefined : { kind: options.provenance, source: 'stated' };
  if (scorer.kind === 'openai-compatible') {
    const { kind: _kind, ...serverOptions } = scorer;
    const provenance =
      stated ??
      (await requestServerProvenance({
        baseUrl: scorer.baseUrl,
        modelId: scorer.model,
        ...(scorer.apiKey === undefined ? {} : { apiKey: scorer.apiKey }),
        ...(scorer.fetch === undefined ? {} : { fetch: scorer.fetch }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }));
    return withProvenance(await scoreWithOpenAiCompatibleServer(items, { ...serverOptions, ...shared }), provenance);
  }

  const modelPath = resolvePath(scorer.modelPath);
  const stats = await stat(modelPath).catch(() => undefined);
  if (stats === undefined || !stats.isFile()) throw userError('model_file_not_found', `No model file at ${modelPath}.`, { path: modelPath });
  // @sleeptime/llama is optional: loaded only to score with a local model.
  const { getLlamaRuntime } = await loadLlamaPackage<typeof LlamaInternals>('@sleeptime/llama/internal', 'Scoring with a llama: model runs it in-process');
  const llama = await getLlamaRuntime();
  const model = await llama.loadModel({ modelPath }).catch((error: unknown) => {
    throw userError('invalid_model_file', `${modelPath} is not a usable GGUF model file: ${errorMessage(error)}`, { path: modelPath });
  });
  try {
    const rows = await scoreWithLlamaModel(model, items, {
      modelName: `llama:${modelPath}`,
      ...(scorer.contextSize === undefined ? {} : { contextSize: scorer.contextSize }),
      ...(scorer.threads === undefined ? {} : { threads: scorer.threads }),
      ...shared,
    });
    return withProvenance(rows, stated ?? provenanceFromGgufMetadata(model.fileInfo.metadata));
  } catch (error) {
    if (SleeptimeError.isInstance(error) || options.signal?.aborted) throw error;
    throw systemError('predictability_scoring_failed', `Scoring with ${modelPath} failed: ${errorMessage(error)}`, error);
  } finally {
    await model.dispose();
  }
}

/**
 * A scoring model from a model spec as the CLI takes it: `llama:<path.gguf>` or
 * `openai-compatible:<name>` with a base URL. Other providers return no prompt log-probabilities.
 */
export function queryScoringModelFromSpec(spec: string, options: { baseUrl?: string; apiKey?: string } = {}): QueryScoringModel {
  const { provider, modelId } = parseModelSpec(spec);
  if (provider === 'llama') {
    if (/^(hf:|huggingface:|https?:)/i.test(modelId))
      throw userError('predictability_local_model_only', `Download the model first and score with its local path: ${spec}`, { spec });
    return { kind: 'llama', modelPath: modelId };
  }
  if (provider === 'openai-compatible') {
    if (options.baseUrl === undefined)
      throw userError('missing_base_url', `Scoring with ${spec} needs the server's base URL (e.g. http://127.0.0.1:8000/v1).`, { spec });
    return {
      kind: 'openai-compatible',
      baseUrl: options.baseUrl,
      model: modelId,
      modelName: spec,
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    };
  }
  throw userError(
    'predictability_unsupported_provider',
    `${provider} does not return prompt log-probabilities; score with llama:<path.gguf> or openai-compatible:<name> (e.g. vLLM).`,
    { spec },
  );
}
