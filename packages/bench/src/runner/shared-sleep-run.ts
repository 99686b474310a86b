/**
 * One benchmark sleep run: k sleep-time agents (the engine's `runSleepAgent`, its prompts and
 * tools) on a context, their memories concatenated in branch order as the engine does. It runs
 * without a store: a benchmark needs the learned context and the usage, not run records.
 *
 * Each branch gets its own model (and seed) from `branchModel`, so k branches are k independent
 * draws even through the call cache, which would otherwise answer k identical calls once.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { wrapLanguageModel, type ToolSet } from 'ai';
import { upstreamError } from '@sleeptime/core';
import { concatenateLearnedContexts } from '@sleeptime/core';
import { runSleepAgent } from '@sleeptime/core/internal';
import type { CallSettings, SleepPromptStyle } from '@sleeptime/core';

export interface SharedSleepRunInput {
  contextText: string;
  parallel: number;
  /** The model a branch calls; every call's usage must be reported by the caller's own wrapper. */
  branchModel: (branch: number) => LanguageModelV3;
  maxRewrites: number;
  callSettings: CallSettings;
  temperature: number;
  /** The sleep-time instructions (the engine's prompt styles); default `default`. */
  promptStyle?: SleepPromptStyle;
  /** The most characters each branch's memory may hold (the engine's limit); default none. */
  maxMemoryCharacters?: number;
  /**
   * Read-only tools every branch may explore with beside its memory tools (SWE-Features: the
   * repository tools on a worktree of the item's base commit); default none.
   */
  extraTools?: ToolSet;
  /** Steps each branch may spend on `extraTools` beyond its rewrites (default: the engine's). */
  maxExplorationSteps?: number;
  signal: AbortSignal;
}

/** The learned context; throws the first branch failure, or `empty_learned_context` if no branch wrote memory. */
export async function runSharedSleep(input: SharedSleepRunInput): Promise<string> {
  // One branch failing stops the others: the run has failed either way.
  const siblings = new AbortController();
  const signal = AbortSignal.any([input.signal, siblings.signal]);
  let failed = false;
  let firstFailure: unknown;
  const settled = await Promise.allSettled(
    Array.from({ length: input.parallel }, async (_, branch) => {
      try {
        return await runSleepAgent({
          languageModel: input.branchModel(branch),
          contextText: input.contextText,
          maxRewrites: input.maxRewrites,
          callSettings: input.callSettings,
          temperature: input.temperature,
          ...(input.promptStyle === undefined ? {} : { promptStyle: input.promptStyle }),
          ...(input.maxMemoryCharacters === undefined ? {} : { maxMemoryCharacters: input.maxMemoryCharacters }),
          ...(input.extraTools === undefined ? {} : { extraTools: input.extraTools }),
          ...(input.maxExplorationSteps === undefined ? {} : { maxExplorationSteps: input.maxExplorationSteps }),
          signal,
        });
      } catch (error) {
        if (!failed) {
          failed = true;
          firstFailure = error;
          siblings.abort();
        }
        throw error;
      }
    }),
  );
  // The first branch to fail is the cause; the others were stopped because of it.
  if (failed) throw firstFailure;

  const memories = settled
    .flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
    .filter((branch) => branch.rewrites > 0 && branch.memory.trim() !== '')
    .map((branch) => branch.memory);
  if (memories.length === 0) {
    throw upstreamError('empty_learned_context', 'The model wrote no memory during the sleep run');
  }
  return concatenateLearnedContexts(memories);
}

/** The model with `seed` set on every call (the sleep agent takes no seed of its own). */
export function withSeed(model: LanguageModelV3, seed: number): LanguageModelV3 {
  return wrapLanguageModel({
    model,
    middleware: { specificationVersion: 'v3', transformParams: async ({ params }) => ({ ...params, seed }) },
  });
}
