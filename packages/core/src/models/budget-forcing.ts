/**
 * Budget forcing (Muennighoff et al. 2025, "s1: Simple test-time scaling"), the test-time budget the
 * sleep-time compute paper scales reasoning models with (DeepSeek-R1):
 *
 * - `cap`: when the model's thinking reaches `thinkingTokens`, the thinking is ended for it (the
 *   end-of-thinking delimiter is put in) and the model answers;
 * - `extend`: the same cap, and when the model ends its thinking before `thinkingTokens`, its end
 *   of thinking is replaced with "Wait" and it thinks on; at most `waits` times.
 *
 * Only thought tokens the model sampled count toward `thinkingTokens`; the inserted "Wait" and
 * delimiter are prompt, not output. The call's output limit (`maxOutputTokens`) bounds thinking and
 * answer together, as it does without forcing.
 *
 * Who can force: llama models whose chat format has thought segments (`providerOptions.llama.budgetForcing`)
 * and OpenAI-compatible servers that serve raw completions, given the model's completions template
 * (`providerOptions.sleeptime.budgetForcing`); see budget-mapping.ts. Both loops decide with
 * {@link shouldWait} and continue with {@link waitContinuation}, so they force the same way.
 */
import type { SharedV3ProviderMetadata } from '@ai-sdk/provider';
import { z } from 'zod';

/**
 * The provider-options key a raw-completions model reads its budget forcing from
 * (`providerOptions.sleeptime.budgetForcing`), and the provider-metadata key its report goes under.
 */
export const BUDGET_FORCING_OPTIONS_KEY = 'sleeptime';

/** What replaces the model's end of thinking in `extend` mode (s1's choice). */
export const BUDGET_FORCING_WAIT = 'Wait';
export const MAX_BUDGET_FORCING_WAITS = 64;
/** `extend` without `waits`: one "Wait". */
export const DEFAULT_BUDGET_FORCING_WAITS = 1;

const thinkingTokensSchema = z
  .number({ error: 'thinkingTokens must be a positive integer' })
  .int({ error: 'thinkingTokens must be a positive integer' })
  .min(1, { error: 'thinkingTokens must be a positive integer' })
  .max(Number.MAX_SAFE_INTEGER);

export const budgetForcingSchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({
      /** End the thinking at `thinkingTokens`. */
      mode: z.literal('cap'),
      thinkingTokens: thinkingTokensSchema,
    }),
    z.strictObject({
      /** End the thinking at `thinkingTokens`; when the model ends it sooner, "Wait" and go on, up to `waits` times. */
      mode: z.literal('extend'),
      thinkingTokens: thinkingTokensSchema,
      waits: z
        .number({ error: `waits must be an integer from 1 to ${MAX_BUDGET_FORCING_WAITS}` })
        .int({ error: `waits must be an integer from 1 to ${MAX_BUDGET_FORCING_WAITS}` })
        .min(1, { error: `waits must be an integer from 1 to ${MAX_BUDGET_FORCING_WAITS}` })
        .max(MAX_BUDGET_FORCING_WAITS, { error: `waits must be an integer from 1 to ${MAX_BUDGET_FORCING_WAITS}` })
        .default(DEFAULT_BUDGET_FORCING_WAITS),
    }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? 'budgetForcing.mode must be cap or extend' : undefined) },
);

/** As written by a caller (`waits` optional). */
export type BudgetForcingInput = z.input<typeof budgetForcingSchema>;
/** Parsed: `extend` always has its `waits`. */
export type BudgetForcing = z.output<typeof budgetForcingSchema>;

/** Where the thinking ended: by the model itself, at `thinkingTokens`, or at the call's output limit. */
export type ThinkingEnd = 'model' | 'budget' | 'output-limit';

/** What a forced call did, in `providerMetadata.sleeptime.budgetForcing` of its result. */
export interface BudgetForcingReport {
  mode: BudgetForcing['mode'];
  thinkingTokens: number;
  /** Thought tokens the model sampled (the call's reasoning tokens). */
  thoughtTokens: number;
  /** "Wait"s put in. */
  waits: number;
  thinkingEndedBy: ThinkingEnd;
}

export function budgetForcingProviderMetadata(report: BudgetForcingReport): SharedV3ProviderMetadata {
  return { [BUDGET_FORCING_OPTIONS_KEY]: { budgetForcing: { ...report } } };
}

/**
 * Whether a model that just ended its thinking after `thoughtTokens` sampled thought tokens (and
 * `waitsUsed` "Wait"s) is told to think on: `extend` mode, below the budget, with waits left.
 */
export function shouldWait(forcing: BudgetForcing, state: { thoughtTokens: number; waitsUsed: number }): boolean {
  return forcing.mode === 'extend' && state.thoughtTokens < forcing.thinkingTokens && state.waitsUsed < forcing.waits;
}

/**
 * The text appended to the thinking so far in place of its end: "Wait", on a line of its own unless
 * the thinking already ends in whitespace (a chat format's delimiter may take the newline before it).
 */
export function waitContinuation(thoughtSoFar: string): string {
  return thoughtSoFar === '' || /\s$/.test(thoughtSoFar) ? BUDGET_FORCING_WAIT : `\n${BUDGET_FORCING_WAIT}`;
}
