import type { LanguageModelV3, SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { BudgetForcingInput } from './budget-forcing.js';
import type { ModelProvenance } from './model-provenance.js';
import type { Usage } from './usage.js';

export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible' | 'llama';

export type ReasoningEffort = 'low' | 'medium' | 'high';

/**
 * Test-time or sleep-time budget, in provider-neutral terms. Verbosity (0-4) is not here: it is a
 * prompt choice and belongs to the engine.
 */
export interface ModelBudget {
  maxOutputTokens?: number;
  /** OpenAI-style reasoning effort (OpenAI and OpenAI-compatible reasoning models). */
  effort?: ReasoningEffort;
  /** Thinking budget in tokens (Anthropic extended thinking; thought tokens of llama models that think). */
  thinkingBudget?: number;
  /**
   * Budget forcing (s1): end the thinking at a budget, or also extend it with "Wait" (see
   * budget-forcing.ts). llama models that think; openai-compatible servers with raw completions.
   */
  budgetForcing?: BudgetForcingInput;
}

export interface CallSettings {
  maxOutputTokens?: number;
  providerOptions?: SharedV3ProviderOptions;
}

/** A model ready to use: an AI SDK language model (with retries) and how budgets map onto it. */
export interface SleeptimeModel {
  /** The spec string it was made from, e.g. `openai:gpt-4o-mini`. */
  readonly spec: string;
  readonly provider: ProviderKind;
  readonly languageModel: LanguageModelV3;
  /** Maps a provider-neutral budget to AI SDK call settings for this provider. */
  callSettings(budget: ModelBudget): CallSettings;
  /** Frees native resources (llama models); a no-op for HTTP providers. */
  close(): Promise<void>;
  /**
   * Attached to the ask's system message (the prefix shared by every question), for providers that
   * cache a prefix only when asked to: Anthropic's cache breakpoint.
   */
  readonly systemMessageProviderOptions?: SharedV3ProviderOptions;
  /** Present when the model can precompute the ask prompt prefix at sleep time; see PrefixWarming. */
  warmPrefix?: PrefixWarming['warmPrefix'];
  /**
   * Where this model's outputs come from (see model-provenance.ts), as far as the model layer can
   * tell; it may ask the server once. Never throws. Absent: nothing is known (`unknown`).
   */
  provenance?(options?: { signal?: AbortSignal }): Promise<ModelProvenance>;
}

/** What a sleep-time prefix warm-up did (see `SleeptimeModel.warmPrefix`). */
export interface PrefixWarmUp {
  /**
   * `saved`: the prefix was evaluated and its state kept for later asks; `already-warm`: a matching
   * state was already kept; `requested`: the prefix was sent to the upstream, whose prefix cache (if
   * it has one) now holds it; `not-kept`: evaluated, but the state is larger than the cache budget.
   */
  status: 'saved' | 'already-warm' | 'requested' | 'not-kept';
  /** Tokens of the prefix, when the model counts them. */
  prefixTokens?: number;
  /** Bytes of the saved state (embedded models). */
  stateBytes?: number;
  /** Tokens an upstream billed for the warm-up request, as it reported them. */
  usage?: Usage;
  durationMs: number;
}

/** Optional capability of a SleeptimeModel: make the ask prompt prefix cheap to read later. */
export interface PrefixWarming {
  /**
   * Prepares the prefix of an ask whose system message is `systemMessage` (rendered by the model
   * itself, exactly as an ask renders it), so that a later ask only reads its question.
   */
  warmPrefix(systemMessage: string, options?: { signal?: AbortSignal }): Promise<PrefixWarmUp>;
}
