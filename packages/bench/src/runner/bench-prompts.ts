/**
 * The prompts the runner adds to the engine's, for the two context-only ablations:
 *
 * - `context-only` (SPEC section 2, baselines): the model sees the context, never the query, and
 *   must guess what will be asked and answer it; no learned context.
 * - `sleep-time-no-question`, the paper's released ablation (letta-ai/sleep-time-compute,
 *   run_stateful_gsm_symbolic.py with --ablate_question): the sleep-time agent runs as usual, then
 *   the test-time agent, with the learned context in its memory and its usual answering
 *   instructions, gets the context alone as its message. Only the question is withheld; the model
 *   is not told so. Here: the engine's sleep-time ask prompt (instructions, learned context, raw
 *   context) with the question left out of the user message, which keeps the answering style.
 *
 * Both are graded against the real answer. Test-time-only and sleep-time asks use the engine's own
 * prompts (`buildAskPrompt`), so the benchmark measures what the library does.
 */
import {
  buildAskPrompt,
  buildAskSystemPrompt,
  buildSleepTrigger,
  concatenateLearnedContexts,
  sleepSystemPrompt,
  sleepSystemPromptFor,
  verbosityInstructions,
} from '@sleeptime/core';
import type { SleepPromptStyle, Verbosity } from '@sleeptime/core';
import { contentHash } from './canonical-json.js';

export const contextOnlySystemPrompt = [
  'You are shown a context; the question that goes with it has been withheld.',
  'Work out the question most likely to be asked about this context, state it in one line, then answer it.',
  'Follow the answering style requested. When the answer is a number, end with the sentence',
  '"The answer is N." where N is the number alone.',
].join('\n');

export interface ContextOnlyPrompt {
  system: string;
  user: string;
}

export function buildContextOnlyPrompt(input: { contextText: string; verbosity: Verbosity }): ContextOnlyPrompt {
  return {
    system: contextOnlySystemPrompt,
    user: `<context>\n${input.contextText}\n</context>\n\n${verbosityInstructions[input.verbosity]}`,
  };
}

/** The `sleep-time-no-question` ablation's prompt: the sleep-time ask without its question (see the file header). */
export function buildQuestionWithheldPrompt(input: { learnedContext: string; contextText: string; verbosity: Verbosity }): ContextOnlyPrompt {
  return {
    system: buildAskSystemPrompt({ learnedContext: input.learnedContext, contextText: input.contextText }),
    user: verbosityInstructions[input.verbosity],
  };
}

/**
 * Changes whenever the `sleep-time-no-question` prompt changes: part of that condition's row keys
 * only (it came after `benchPromptsDigest`, whose change would have renewed every key).
 */
export const questionWithheldPromptDigest: string = contentHash(
  ([0, 1, 2, 3, 4] as const).map((verbosity) => buildQuestionWithheldPrompt({ learnedContext: '{learned}', contextText: '{context}', verbosity })),
).slice(0, 16);

/**
 * The sleep-time trigger under a memory size limit (it states the limit): part of the keys of sleep
 * runs made with one, as `benchPromptsDigest` covers the trigger without it.
 */
export function memoryLimitPromptDigest(maxMemoryCharacters: number): string {
  return contentHash(
    (['tools', 'text'] as const).map((protocol) => buildSleepTrigger({ contextText: '{context}', examples: ['{example}'], maxRewrites: 1, protocol, maxMemoryCharacters })),
  ).slice(0, 16);
}

/**
 * Changes whenever a prompt the benchmark uses changes, so rows made with old prompts are not
 * taken for rows of the current ones when a run resumes. (Model calls need no such care: the call
 * cache is keyed by the prompt text itself.)
 */
export const benchPromptsDigest: string = contentHash({
  sleepSystemPrompt,
  sleepTrigger: buildSleepTrigger({ contextText: '{context}', examples: ['{example}'], maxRewrites: 1 }),
  askPrompts: ([0, 1, 2, 3, 4] as const).map((verbosity) =>
    buildAskPrompt({ question: '{query}', verbosity, learnedContext: '{learned}', contextText: '{context}' }),
  ),
  concatenated: concatenateLearnedContexts(['{first}', '{second}']),
  contextOnlySystemPrompt,
  contextOnlyUser: buildContextOnlyPrompt({ contextText: '{context}', verbosity: 0 }).user,
}).slice(0, 16);

/**
 * Changes whenever the sleep-time instructions of a prompt style change: part of the keys of sleep
 * runs (and their rows) that use a style other than the default, which `benchPromptsDigest` covers.
 */
export function sleepPromptDigest(style: SleepPromptStyle): string {
  return contentHash({ tools: sleepSystemPromptFor(style, 'tools'), text: sleepSystemPromptFor(style, 'text') }).slice(0, 16);
}
