/**
 * What the core needs of the embedded llama provider, `@sleeptime/llama`. The core does not depend
 * on that package (it would bring node-llama-cpp to every user of a hosted model): `createModel`
 * loads it when a `llama:` model is made, and it implements this contract.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { userError } from '../errors.js';
import type { ModelProvenance } from './model-provenance.js';
import type { PrefixWarmUp } from './types.js';

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
  /** CPU threads. Default: 1 for models under 64 MB, else one fewer than the math cores (at least 1). */
  threads?: number;
  /**
   * Wall-clock limit of one model call in milliseconds, 0 for none (default 10 minutes): the call
   * stops and returns what it produced, finishReason `{unified: 'length', raw: 'time-limit'}`.
   * A call can set its own with `providerOptions.llama.callTimeLimitMs`.
   */
  callTimeLimitMs?: number;
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
  /** From the file's `sleeptime.provenance` metadata (see model-provenance.ts). */
  provenance?: ModelProvenance;
  /**
   * Evaluates and saves the prompt prefix of an ask with this system message (needs
   * `prefixStateCache`); see LlamaLanguageModel.warmPrefix.
   */
  warmPrefix(systemMessage: string, options?: { signal?: AbortSignal }): Promise<PrefixWarmUp>;
  /** Frees the context and the model once queued calls are done; safe to call twice. */
  close(): Promise<void>;
}

/** The part of `@sleeptime/llama` the core calls. */
export interface LlamaProvider {
  createLlamaModel(options: CreateLlamaModelOptions): Promise<LlamaModelHandle>;
}

export const LLAMA_PACKAGE = '@sleeptime/llama';

/** Loads `@sleeptime/llama`, or says in one line how to install it. */
export function loadLlamaProvider(): Promise<LlamaProvider> {
  return loadLlamaPackage<LlamaProvider>(LLAMA_PACKAGE, 'llama: models run in-process');
}

/**
 * Loads `@sleeptime/llama` or one of its entries (`specifier`), an optional dependency of the
 * packages that can run embedded models; when it is not installed, a `llama_not_installed` user
 * error says that `purpose` needs it and how to install it.
 */
export async function loadLlamaPackage<Module>(specifier: string, purpose: string): Promise<Module> {
  try {
    return (await import(specifier)) as Module;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(`'${LLAMA_PACKAGE}`)) {
      throw userError('llama_not_installed', `${purpose} through the ${LLAMA_PACKAGE} package, which is not installed: npm install ${LLAMA_PACKAGE}`, {
        package: LLAMA_PACKAGE,
      });
    }
    throw error;
  }
}
