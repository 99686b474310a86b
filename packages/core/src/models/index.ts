/** The model layer: spec strings, provider construction, budgets and retries. */
export { ACCEPTED_MODEL_SPEC_FORMS, PROVIDER_KINDS, parseModelSpec } from './model-spec.js';
export type { ModelSpec } from './model-spec.js';
export { DEFAULT_MODEL_SPEC, createModel, defaultModelCacheDir, defaultPrefixStateDir, resolveModelSpec } from './create-model.js';
export { PREFIX_CACHE_METADATA_KEY, prefixCacheProviderMetadata, readPrefixCacheReport } from './prefix-cache-report.js';
export type { PrefixCacheReport } from './prefix-cache-report.js';
export type { CreateModelOptions, Environment } from './create-model.js';
export {
  ANTHROPIC_MINIMUM_THINKING_BUDGET,
  ANTHROPIC_THINKING_BUDGET_BY_EFFORT,
  BUDGET_MAPPING,
  mapBudgetToCallSettings,
  parallelToolCallsOptions,
  validateBudget,
  type BudgetCapabilities,
} from './budget-mapping.js';
export {
  BUDGET_FORCING_OPTIONS_KEY,
  BUDGET_FORCING_WAIT,
  DEFAULT_BUDGET_FORCING_WAITS,
  MAX_BUDGET_FORCING_WAITS,
  budgetForcingProviderMetadata,
  budgetForcingSchema,
  shouldWait,
  waitContinuation,
  type BudgetForcing,
  type BudgetForcingInput,
  type BudgetForcingReport,
  type ThinkingEnd,
} from './budget-forcing.js';
export { COMPLETIONS_TEMPLATE_NAMES, completionsTemplate, type CompletionsTemplate, type CompletionsTemplateName } from './completions-templates.js';
export { DEFAULT_RETRY_OPTIONS, backoffDelayMs, resolveRetryOptions, type RetryEvent, type RetryOptions } from './retry-options.js';
export { classifyFailure, retryAfterMs } from './failure-classification.js';
export type { Failure, FailureKind, RetryTarget } from './failure-classification.js';
export { abortableSleep } from './attempt-scope.js';
export type { CallSettings, ModelBudget, PrefixWarming, PrefixWarmUp, ProviderKind, ReasoningEffort, SleeptimeModel } from './types.js';
export {
  MODEL_PROVENANCE_KINDS,
  PROVENANCE_GGUF_KEY,
  PROVENANCE_HEADER,
  PROVENANCE_SERVER_FIELD,
  STATED_PROVENANCE_KINDS,
  modelProvenanceKindSchema,
  modelProvenanceSchema,
  provenanceFromGgufMetadata,
  providerProvenance,
  requestServerProvenance,
  type ModelProvenance,
  type ModelProvenanceKind,
  type ServerProvenanceOptions,
  type StatedProvenanceKind,
} from './model-provenance.js';
export type { ReportedUsage, Usage } from './usage.js';
export { addUsage, sumUsage, usageFromReport, zeroUsage } from './usage.js';
export {
  DEFAULT_LLAMA_MODEL,
  LLAMA_PACKAGE,
  loadLlamaPackage,
  loadLlamaProvider,
  type CreateLlamaModelOptions,
  type DownloadProgress,
  type LlamaModelHandle,
  type LlamaProvider,
} from './llama-contract.js';
