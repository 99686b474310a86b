import { z } from 'zod';
import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import { userError } from '../errors.js';
import type { CallSettings, ModelBudget, ProviderKind, ReasoningEffort } from './types.js';

/**
 * How a provider-neutral budget becomes AI SDK call settings:
 *
 * | budget knob       | openai                                 | openai-compatible                                   | anthropic                                                          | llama                                     |
 * |-------------------|----------------------------------------|-----------------------------------------------------|--------------------------------------------------------------------|-------------------------------------------|
 * | maxOutputTokens   | maxOutputTokens                        | maxOutputTokens (`max_tokens`)                      | maxOutputTokens (the provider adds the thinking budget on top)     | maxOutputTokens                           |
 * | effort            | providerOptions.openai.reasoningEffort | providerOptions.openaiCompatible.reasoningEffort    | providerOptions.anthropic.thinking = enabled, budget per level (1) | providerOptions.llama.reasoningEffort     |
 * | thinkingBudget    | user error `unsupported_budget`        | user error `unsupported_budget`                     | providerOptions.anthropic.thinking = {type:'enabled', budgetTokens} | providerOptions.llama.thoughtTokens      |
 *
 * (1) {@link ANTHROPIC_THINKING_BUDGET_BY_EFFORT}: low 2,048, medium 8,192, high 16,384 tokens.
 *
 * Anthropic takes `effort` or `thinkingBudget`, not both (both set the same thinking budget).
 * The openai-compatible key is `openaiCompatible`: the provider also reads `openai-compatible`, but
 * warns that it is deprecated. It is sent as `reasoning_effort`, which vLLM, Ollama and llama.cpp's
 * server accept for reasoning models.
 *
 * Verbosity levels (0-4) are prompts, chosen by the engine, not call settings.
 */
export const BUDGET_MAPPING = {
  openai: { maxOutputTokens: 'maxOutputTokens', effort: 'providerOptions.openai.reasoningEffort', thinkingBudget: null },
  'openai-compatible': {
    maxOutputTokens: 'maxOutputTokens',
    effort: 'providerOptions.openaiCompatible.reasoningEffort',
    thinkingBudget: null,
  },
  anthropic: {
    maxOutputTokens: 'maxOutputTokens',
    effort: 'providerOptions.anthropic.thinking {type: enabled, budgetTokens: ANTHROPIC_THINKING_BUDGET_BY_EFFORT[effort]}',
    thinkingBudget: 'providerOptions.anthropic.thinking {type: enabled, budgetTokens}',
  },
  llama: {
    maxOutputTokens: 'maxOutputTokens',
    effort: 'providerOptions.llama.reasoningEffort',
    thinkingBudget: 'providerOptions.llama.thoughtTokens',
  },
} as const satisfies Record<ProviderKind, Record<keyof ModelBudget, string | null>>;

export const ANTHROPIC_THINKING_BUDGET_BY_EFFORT: Readonly<Record<ReasoningEffort, number>> = Object.freeze({
  low: 2048,
  medium: 8192,
  high: 16384,
});

/** Anthropic rejects extended-thinking budgets below this. */
export const ANTHROPIC_MINIMUM_THINKING_BUDGET = 1024;

const positiveInteger = (name: string) =>
  z
    .number({ error: `${name} must be a positive integer` })
    .refine((value) => Number.isSafeInteger(value) && value > 0, { message: `${name} must be a positive integer` });

const modelBudgetSchema = z.strictObject(
  {
    maxOutputTokens: positiveInteger('maxOutputTokens').optional(),
    effort: z.enum(['low', 'medium', 'high'], { error: 'effort must be low, medium or high' }).optional(),
    thinkingBudget: positiveInteger('thinkingBudget').optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown budget field(s): ${issue.keys.join(', ')}` : undefined) },
);

export function validateBudget(budget: ModelBudget): ModelBudget {
  const parsed = modelBudgetSchema.safeParse(budget);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message).join('; ');
    throw userError('invalid_budget', `invalid budget: ${problems}`, { budget });
  }
  return parsed.data;
}

function unsupported(provider: ProviderKind, knob: keyof ModelBudget, hint: string) {
  return userError(
    'unsupported_budget',
    `the ${provider} provider has no ${knob} setting; ${hint}`,
    { provider, knob },
  );
}

/** Maps a provider-neutral budget onto call settings for one provider (see {@link BUDGET_MAPPING}). */
export function mapBudgetToCallSettings(provider: ProviderKind, budget: ModelBudget): CallSettings {
  const { maxOutputTokens, effort, thinkingBudget } = validateBudget(budget);
  const settings: CallSettings = {};
  if (maxOutputTokens !== undefined) settings.maxOutputTokens = maxOutputTokens;

  switch (provider) {
    case 'openai':
      if (thinkingBudget !== undefined) throw unsupported(provider, 'thinkingBudget', 'use effort (low|medium|high) instead');
      if (effort !== undefined) settings.providerOptions = { openai: { reasoningEffort: effort } };
      return settings;

    case 'openai-compatible':
      if (thinkingBudget !== undefined) {
        throw unsupported(provider, 'thinkingBudget', 'use effort (sent as reasoning_effort) instead');
      }
      if (effort !== undefined) settings.providerOptions = { openaiCompatible: { reasoningEffort: effort } };
      return settings;

    case 'anthropic': {
      if (effort !== undefined && thinkingBudget !== undefined) {
        throw userError(
          'invalid_budget',
          'invalid budget: anthropic takes effort or thinkingBudget, not both (both set the thinking budget)',
          { budget },
        );
      }
      if (thinkingBudget !== undefined && thinkingBudget < ANTHROPIC_MINIMUM_THINKING_BUDGET) {
        throw userError(
          'invalid_budget',
          `invalid budget: anthropic thinkingBudget must be at least ${ANTHROPIC_MINIMUM_THINKING_BUDGET} tokens (got ${thinkingBudget})`,
          { budget },
        );
      }
      const budgetTokens = thinkingBudget ?? (effort === undefined ? undefined : ANTHROPIC_THINKING_BUDGET_BY_EFFORT[effort]);
      if (budgetTokens !== undefined) {
        settings.providerOptions = { anthropic: { thinking: { type: 'enabled', budgetTokens } } };
      }
      return settings;
    }

    case 'llama': {
      const llamaOptions: Record<string, number | string> = {};
      if (effort !== undefined) llamaOptions.reasoningEffort = effort;
      if (thinkingBudget !== undefined) llamaOptions.thoughtTokens = thinkingBudget;
      if (Object.keys(llamaOptions).length > 0) settings.providerOptions = { llama: llamaOptions };
      return settings;
    }
  }
}

/**
 * `parallel_tool_calls` has no provider-neutral AI SDK setting: it goes in each provider's own
 * options. The embedded llama model has no such switch, so there it is ignored.
 */
export function parallelToolCallsOptions(provider: ProviderKind, parallel: boolean): SharedV3ProviderOptions | undefined {
  switch (provider) {
    case 'openai':
      return { openai: { parallelToolCalls: parallel } };
    case 'openai-compatible':
      // Keys the openai-compatible provider does not know are sent as request fields, as they are.
      return { openaiCompatible: { parallel_tool_calls: parallel } };
    case 'anthropic':
      return { anthropic: { disableParallelToolUse: !parallel } };
    case 'llama':
      return undefined;
  }
}
