/** Call options of the llama provider; kept apart from node-llama-cpp so importing them stays cheap. */
import { z } from 'zod';

/** Thought-token budgets for `providerOptions.llama.reasoningEffort` (models that think only). */
export const REASONING_EFFORT_THOUGHT_TOKENS = Object.freeze({ low: 1024, medium: 4096, high: 16384 });

/** Context size when none is given: room for sleep-time prompts, small enough for a laptop's memory. */
export const DEFAULT_LLAMA_CONTEXT_SIZE = 8192;

export const llamaProviderOptionsSchema = z.object({
  /** Most tokens the model may spend thinking (models with thought segments, e.g. Qwen3, DeepSeek R1). */
  thoughtTokens: z.number().int().min(0).optional(),
  /** Shorthand for a thought budget, see REASONING_EFFORT_THOUGHT_TOKENS; `thoughtTokens` wins. */
  reasoningEffort: z.enum(['low', 'medium', 'high']).optional(),
});

/** `providerOptions.llama` of an AI SDK call. */
export type LlamaProviderOptions = z.infer<typeof llamaProviderOptionsSchema>;
