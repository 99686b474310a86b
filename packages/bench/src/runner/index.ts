/** The benchmark runner: grids, the run itself with resume and a call cache, items from files, progress. */
export {
  buildContextOnlyPrompt,
  buildQuestionWithheldPrompt,
  contextOnlySystemPrompt,
  benchPromptsDigest,
  memoryLimitPromptDigest,
  questionWithheldPromptDigest,
} from './bench-prompts.js';
export { canonicalJson, contentHash, sha256Hex } from './canonical-json.js';
export { createConcurrencyLimiter, withConcurrencyLimit, type ConcurrencyLimiter } from './concurrency-limiter.js';
export {
  benchConditions,
  benchRowKey,
  defaultBenchConditions,
  defaultParallelSleepRuns,
  defaultSamplingTemperature,
  defaultVerbosityLevels,
  deriveSeed,
  expandGrid,
  gridSpecSchema,
  lowestTestBudget,
  parseGridSpec,
  planGrid,
  readsSleepRun,
  sleepRunKey,
  sleepTemperatureFor,
  validateItems,
  type BenchCell,
  type BenchRowKeyInput,
  type GridSpec,
  type GridPlan,
  type GridSpecInput,
} from './grid.js';
export {
  detectBenchFileFormat,
  loadAimeItems,
  loadAimeJsonlItems,
  loadBenchItems,
  loadGsmSymbolicItems,
  loadMultiQueryItems,
  type BenchFileFormat,
} from './load-items.js';
export { createModelCallCache, modelCallKey, type ModelCallCache, type ModelCallCacheStats, type ModelCallEvent } from './model-call-cache.js';
export { createBenchProgressBar, formatCount, formatDuration, type BenchProgressBar, type BenchProgressBarOptions } from './progress-bar.js';
export {
  benchResultRowFormat,
  benchResultRowSchema,
  openResultsAppender,
  prepareResultsFile,
  readResultsFile,
  type ResultsAppender,
  type ResultsFileContents,
  type ResultsRowBase,
  type ResultsRowFormat,
} from './results-file.js';
export { defaultBenchConcurrency, runBench, type BenchProgress, type RunBenchOptions, type RunBenchResult } from './run-bench.js';
export { runSharedSleep, withSeed, type SharedSleepRunInput } from './shared-sleep-run.js';
