/**
 * `@sleeptime/llama`: GGUF models run in-process through node-llama-cpp, exposed as an AI SDK
 * language model. `createModel('llama:...')` of `@sleeptime/core` loads this package when it is
 * installed. This module stays light (no node-llama-cpp at import time); the native runtime loads
 * when a model is created.
 */
import type { CreateLlamaModelOptions, LlamaModelHandle, LlamaProvider } from '@sleeptime/core';

export { DEFAULT_LLAMA_MODEL, type CreateLlamaModelOptions, type DownloadProgress, type LlamaModelHandle } from '@sleeptime/core';
export {
  DEFAULT_LLAMA_CALL_TIME_LIMIT_MS,
  DEFAULT_LLAMA_CONTEXT_SIZE,
  DEFAULT_LLAMA_REPEAT_PENALTY,
  REASONING_EFFORT_THOUGHT_TOKENS,
  type LlamaProviderOptions,
} from './llama-provider-options.js';
export { DEFAULT_LOOP_DETECTION, type LoopDetection } from './repetition-guard.js';
export type { GenerationCut } from './generation-bounds.js';

/**
 * Resolves (downloading if needed), checks and loads a GGUF model.
 *
 * Errors (all `SleeptimeError`): `model_file_not_found` (user) for a missing path,
 * `invalid_model_file` (user) for a file that is not a loadable GGUF, `model_download_failed`
 * (upstream) when a remote model cannot be fetched, `llama_unavailable` (system) when the native
 * runtime cannot start.
 */
export const createLlamaModel: LlamaProvider['createLlamaModel'] = async (options: CreateLlamaModelOptions): Promise<LlamaModelHandle> => {
  const { loadLlamaModel } = await import('./load-llama-model.js');
  return loadLlamaModel(options);
};
