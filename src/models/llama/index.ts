/**
 * The embedded llama provider: GGUF models run in-process through node-llama-cpp, exposed as an AI
 * SDK language model. This module stays light (no node-llama-cpp at import time); the native
 * runtime loads when a model is created.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { PrefixWarmUp } from '../types.js';

export {
  DEFAULT_LLAMA_CONTEXT_SIZE,
  REASONING_EFFORT_THOUGHT_TOKENS,
  type LlamaProviderOptions,
} from './llama-provider-options.js';

/**
 * Default model: Qwen2.5 1.5B Instruct, Q4_K_M (about 1 GB), from Qwen's own GGUF repository. Small
 * enough for a CPU, trained for tool calls. Format: `hf:<user>/<repository>/<file>`.
 */
export const DEFAULT_LLAMA_MODEL = 'hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf';

export interface DownloadProgress {
  downloadedBytes: number;
  totalBytes: number;
}

export interface CreateLlamaModelOptions {
  /**
   * A `.gguf` path, or a remote model node-llama-cpp can resolve: `hf:<user>/<repo>/<file>.gguf`,
   * `hf:<user>/<repo>:<quantization>`, or an https URL.
   */
  source: string;
  /** Where remote models are downloaded to and found again offline. */
  cacheDir: string;
  /** Tokens of prompt plus output per call. Default: the model's training context, at most 8192. */
  contextSize?: number;
  /** CPU threads. Default: 1 for models under 64 MB, else the number of math cores. */
  threads?: number;
  onDownloadProgress?: (progress: DownloadProgress) => void;
  /** Draw a download progress bar on stderr (only while a download runs). */
  showProgress?: boolean;
  /** Hugging Face mirror for `hf:` sources (default: HF_ENDPOINT / MODEL_ENDPOINT, else huggingface.co). */
  huggingFaceEndpoint?: string;
  /** Cancels a download in progress. */
  signal?: AbortSignal;
  /**
   * Keep precomputed prompt-prefix states (sleep-time KV cache) in this folder, within `maxBytes`
   * (default 2 GiB, least recently used evicted first). Without it nothing is saved or restored.
   */
  prefixStateCache?: { directory: string; maxBytes?: number };
}

export interface LlamaModelHandle {
  languageModel: LanguageModelV3;
  /** The local `.gguf` file that was loaded. */
  modelPath: string;
  /**
   * Evaluates and saves the prompt prefix of an ask with this system message (needs
   * `prefixStateCache`); see LlamaLanguageModel.warmPrefix.
   */
  warmPrefix(systemMessage: string, options?: { signal?: AbortSignal }): Promise<PrefixWarmUp>;
  /** Frees the context and the model once queued calls are done; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Resolves (downloading if needed), checks and loads a GGUF model.
 *
 * Errors (all `SleeptimeError`): `model_file_not_found` (user) for a missing path,
 * `invalid_model_file` (user) for a file that is not a loadable GGUF, `model_download_failed`
 * (upstream) when a remote model cannot be fetched, `llama_unavailable` (system) when the native
 * runtime cannot start.
 */
export async function createLlamaModel(options: CreateLlamaModelOptions): Promise<LlamaModelHandle> {
  const { loadLlamaModel } = await import('./load-llama-model.js');
  return loadLlamaModel(options);
}
