/**
 * `@sleeptime/llama/internal`: the pieces under `createLlamaModel`, for sleeptime's own benchmark
 * suite and performance benchmarks. Not a stable API.
 */
export { getLlamaRuntime } from './llama-runtime.js';
export { defaultLlamaThreads, LlamaLanguageModel, type LlamaLanguageModelSettings, type PrefixCacheDetails, type PrefixSource } from './llama-language-model.js';
export { PrefixStateCache, type PrefixStateCacheOptions } from './prefix-state-cache.js';
export {
  listCachedModels,
  llamaSourceOf,
  locateModel,
  modelFileSha256,
  pullModel,
  removeCachedModel,
  type CachedModelFile,
  type LocatedModel,
  type PulledModel,
  type PullModelOptions,
  type RemovedModel,
  type Sha256Mode,
} from './model-cache.js';
