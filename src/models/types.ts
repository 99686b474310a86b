import type { LanguageModelV3, SharedV3ProviderOptions } from '@ai-sdk/provider';

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
}
