import { z } from 'zod';
import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import { userError } from '../errors.js';
import { BUDGET_FORCING_OPTIONS_KEY, budgetForcingSchema } from './budget-forcing.js';
import type { CallSettings, ModelBudget, ProviderKind, ReasoningEffort } from './types.js';

/**
 * How a provider-neutral budget becomes AI SDK call settings:
 *
 * | budget knob       | openai                                 | openai-compatible                                   | anthropic                                                          | llama                                     |
 * |-------------------|----------------------------------------|-----------------------------------------------------|--------------------------------------------------------------------|-------------------------------------------|
 * | maxOutputTokens   | maxOutputTokens                        | maxOutputTokens (`max_tokens`)                      | maxOutputTokens (the provider adds the thinking budget on top)     | maxOutputTokens                           |
 * | effort            | providerOptions.openai.reasoningEffort | providerOptions.openaiCompatible.reasoningEffort    | providerOptions.anthropic.thinking = enabled, budget per level (1) | providerOptions.llama.reasoningEffort     |
 * | thinkingBudget    | user error `unsupported_budget`        | user error `unsupported_budget`                     | providerOptions.anthropic.thinking = {type:'enabled', budgetTokens} | providerOptions.llama.thoughtTokens      |
 * | budgetForcing     | user error `unsupported_budget`        | providerOptions.sleeptime.budgetForcing (2)         | user error `unsupported_budget`                                    | providerOptions.llama.budgetForcing       |
 *
 * (1) {@link ANTHROPIC_THINKING_BUDGET_BY_EFFORT}: low 2,048, medium 8,192, high 16,384 tokens.
 * (2) Only for a model made with a completions template (`completionsTemplate`, SLEEPTIME_COMPLETIONS_TEMPLATE):
 * the loop runs over the server's raw `/v1/completions` (budget-forcing-completions-model.ts); without
 * one it is `unsupported_budget`, saying how to give one.
 *
 * `budgetForcing` (see budget-forcing.ts) sets the thinking budget itself: it goes with neither
 * `effort` nor `thinkingBudget`.
 *
 * Anthropic takes `effort` or `thinkingBudget`, not both (both set the same thinking budget).
 * The openai-compatible key is `openaiCompatible`: the provider also reads `openai-compatible`, but
 * warns that it is deprecated. It is sent as `reasoning_effort`, which vLLM, Ollama and llama.cpp's
 * server accept for reasoning models.
 *
 * Verbosity levels (0-4) are prompts, chosen by the engine, not call settings.
 */
export const BUDGET_MAPPING = {
  openai: { maxOutputTokens: 'maxOutputTokens', effort: 'providerOptions.openai.reasoningEffort', thinkingBudget: null, budgetForcing: null },
  'openai-compatible': {
    maxOutputTokens: 'maxOutputTokens',
    effort: 'providerOptions.openaiCompatible.reasoningEffort',
    thinkingBudget: null,
    budgetForcing: 'providerOptions.sleeptime.budgetForcing (raw completions; needs a completions template)',
  },
  anthropic: {
    maxOutputTokens: 'maxOutputTokens',
    effort: 'providerOptions.anthropic.thinking {type: enabled, budgetTokens: ANTHROPIC_THINKING_BUDGET_BY_EFFORT[effort]}',
    thinkingBudget: 'providerOptions.anthropic.thinking {type: enabled, budgetTokens}',
    budgetForcing: null,
  },
  llama: {
    maxOutputTokens: 'maxOutputTokens',
    effort: 'providerOptions.llama.reasoningEffort',
    thinkingBudget: 'providerOptions.llama.thoughtTokens',
    budgetForcing: 'providerOptions.llama.budgetForcing',
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
    budgetForcing: budgetForcingSchema.optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown budget field(s): ${issue.keys.join(', ')}` : undefined) },
);

export function validateBudget(budget: ModelBudget): ModelBudget {
  const parsed = modelBudgetSchema.safeParse(budget);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message).join('; ');
    throw userError('invalid_budget', `invalid budget: ${problems}`, { budget });
  }
  if (parsed.data.budgetForcing !== undefined && (parsed.data.effort !== undefined || parsed.data.thinkingBudget !== undefined)) {
    throw userError('invalid_budget', 'invalid budget: budgetForcing sets the thinking budget itself; give it without effort or thinkingBudget', { budget });
  }
  return parsed.data;
}

/** What a model can do beyond its provider kind's defaults. */
export interface BudgetCapabilities {
  /** openai-compatible: the model was made with a completions template, so it can force budgets over raw completions. */
  rawCompletions?: boolean;
}

const BUDGET_FORCING_PROVIDERS =
  'budget forcing works with llama: models that think and with openai-compatible servers that serve raw completions (set SLEEPTIME_COMPLETIONS_TEMPLATE to chatml or deepseek-r1)';

function unsupported(provider: ProviderKind, knob: keyof ModelBudget, hint: string) {
  return userError(
    'unsupported_budget',
    `the ${provider} provider has no ${knob} setting; ${hint}`,
    { provider, knob },
  );
}

/** Maps a provider-neutral budget onto call settings for one provider (see {@link BUDGET_MAPPING}). */
export function mapBudgetToCallSettings(provider: ProviderKind, budget: ModelBudget, capabilities: BudgetCapabilities = {}): CallSettings {
  const { maxOutputTokens, effort, thinkingBudget, budgetForcing } = validateBudget(budget);
  const settings: CallSettings = {};
  if (maxOutputTokens !== undefined) settings.maxOutputTokens = maxOutputTokens;

  switch (provider) {
    case 'openai':
      if (thinkingBudget !== undefined) throw unsupported(provider, 'thinkingBudget', 'use effort (low|medium|high) instead');
      if (budgetForcing !== undefined) throw unsupported(provider, 'budgetForcing', `${BUDGET_FORCING_PROVIDERS}; use effort here`);
      if (effort !== undefined) settings.providerOptions = { openai: { reasoningEffort: effort } };
      return settings;

    case 'openai-compatible':
      if (thinkingBudget !== undefined) {
        throw unsupported(provider, 'thinkingBudget', 'use effort (sent as reasoning_effort) instead');
      }
      if (budgetForcing !== undefined) {
        if (capabilities.rawCompletions !== true) {
          throw unsupported(
            provider,
            'budgetForcing',
            'budget forcing needs the server\'s raw completions (/v1/completions) and the model\'s chat format: set SLEEPTIME_COMPLETIONS_TEMPLATE (or createModel\'s completionsTemplate) to chatml or deepseek-r1',
          );
        }
        settings.providerOptions = { [BUDGET_FORCING_OPTIONS_KEY]: { budgetForcing: { ...budgetForcing } } };
      }
      if (effort !== undefined) settings.providerOptions = { openaiCompatible: { reasoningEffort: effort } };
      return settings;

    case 'anthropic': {
      if (budgetForcing !== undefined) throw unsupported(provider, 'budgetForcing', `${BUDGET_FORCING_PROVIDERS}; use thinkingBudget or effort here`);
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
      const llamaOptions: Record<string, number | string | Record<string, number | string>> = {};
      if (effort !== undefined) llamaOptions.reasoningEffort = effort;
      if (thinkingBudget !== undefined) llamaOptions.thoughtTokens = thinkingBudget;
      if (budgetForcing !== undefined) llamaOptions.budgetForcing = { ...budgetForcing };
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
