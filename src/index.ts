/** The library: `createEngine` over a store and a model; everything a caller needs to type it. */
export { SleeptimeError, type ErrorCategory } from './errors.js';
export {
  createEngine,
  extractFinalAnswer,
  type AskOptions,
  type AskResult,
  type Engine,
  type EngineOptions,
  type PutContextInput,
  type SleepOptions,
  type SleepProgressEvent,
  type SleepResult,
} from './engine/index.js';
export {
  DEFAULT_MODEL_SPEC,
  createModel,
  parseModelSpec,
  resolveModelSpec,
  type CreateModelOptions,
  type ModelBudget,
  type SleeptimeModel,
  type Usage,
} from './models/index.js';
export {
  openStore,
  storeConfigFrom,
  type ContextRecord,
  type LearnedContextRecord,
  type ModelCallRecord,
  type RunRecord,
  type Store,
  type StoreConfig,
} from './store/index.js';
