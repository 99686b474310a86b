/** Call options of the llama provider; kept apart from node-llama-cpp so importing them stays cheap. */
import { z } from 'zod';
import { budgetForcingSchema } from '@sleeptime/core';

/** Thought-token budgets for `providerOptions.llama.reasoningEffort` (models that think only). */
export const REASONING_EFFORT_THOUGHT_TOKENS = Object.freeze({ low: 1024, medium: 4096, high: 16384 });

/** Context size when none is given: room for sleep-time prompts, small enough for a laptop's memory. */
export const DEFAULT_LLAMA_CONTEXT_SIZE = 8192;

/**
 * Wall-clock limit of one model call when none is given: a safety net behind the token limits, long
 * enough for a long answer on a laptop CPU. The call stops and returns what it produced.
 */
export const DEFAULT_LLAMA_CALL_TIME_LIMIT_MS = 10 * 60_000;

/**
 * Repeat penalty of every call unless `providerOptions.llama.repeatPenalty` says otherwise: llama.cpp's
 * classic 1.1 over the last 64 sampled tokens, newlines exempt (lists and tables need them). Mild
 * enough for grammar-constrained JSON and tool calls; it makes verbatim loops less likely, and the
 * loop detector (repetition-guard.ts) stops the ones that happen anyway.
 */
export const DEFAULT_LLAMA_REPEAT_PENALTY = Object.freeze({ penalty: 1.1, lastTokens: 64, penalizeNewLine: false });

export const llamaProviderOptionsSchema = z.object({
  /** Most tokens the model may spend thinking (models with thought segments, e.g. Qwen3, DeepSeek R1). */
  thoughtTokens: z.number().int().min(0).optional(),
  /** Shorthand for a thought budget, see REASONING_EFFORT_THOUGHT_TOKENS; `thoughtTokens` wins. */
  reasoningEffort: z.enum(['low', 'medium', 'high']).optional(),
  /**
   * Budget forcing (s1, see @sleeptime/core's budget-forcing.ts): end the thought segment at
   * `thinkingTokens`, and in `extend` mode replace an earlier end of it with "Wait", up to `waits`
   * times. Models whose chat format has thought segments (Qwen3, DeepSeek-R1...), text answers only;
   * it sets the thought budget, so it goes with neither `thoughtTokens` nor `reasoningEffort`.
   */
  budgetForcing: budgetForcingSchema.optional(),
  /**
   * Wall-clock limit of this call in milliseconds, from the moment it runs (not while it waits for
   * the model); 0 for none. Default: the model's (DEFAULT_LLAMA_CALL_TIME_LIMIT_MS unless set).
   */
  callTimeLimitMs: z.number().int().min(0).optional(),
  /**
   * The repeat penalty (see DEFAULT_LLAMA_REPEAT_PENALTY); fields given replace the default's, and
   * `false` turns it off. The AI SDK's frequencyPenalty and presencePenalty apply either way.
   */
  repeatPenalty: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Divides the logits of recent tokens; 1 for none. */
        penalty: z.number().min(1).optional(),
        /** How many recent output tokens are penalized. */
        lastTokens: z.number().int().min(1).optional(),
        penalizeNewLine: z.boolean().optional(),
      }),
    ])
    .optional(),
  /** Stop generating once the output ends in a verbatim loop (see repetition-guard.ts). Default true. */
  stopOnLoop: z.boolean().optional(),
});

/** `providerOptions.llama` of an AI SDK call. */
export type LlamaProviderOptions = z.infer<typeof llamaProviderOptionsSchema>;
