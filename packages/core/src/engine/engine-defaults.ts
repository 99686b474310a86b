/** The engine's defaults, in a module of their own so that reading them loads nothing else. */
import type { ProviderKind } from '../models/types.js';
import type { Verbosity } from './prompts.js';

/** Rewrites allowed per sleep branch. */
export const defaultMaxRewrites = 10;
/**
 * Model calls a sleep-time agent given exploration tools (a repository's list_files, read_file,
 * search) may spend on them, on top of its rewrites and the few spare calls every run has: reading a
 * repository takes many more calls than rewriting a memory.
 */
export const defaultMaxExplorationSteps = 30;
/** k parallel sleep runs at temperature 0 would mostly write the same memory k times. */
export const defaultParallelSleepTemperature = 0.7;
/** Answering style of an ask: reason as much as the question needs. */
export const defaultVerbosity: Verbosity = 3;

/**
 * Output tokens an ask may generate when it sets no `maxOutputTokens`, by verbosity: room for the
 * answering style asked for, with a wide margin, and never unbounded (a small model can repeat one
 * sentence until the context is full). Thinking comes on top (see {@link defaultThinkingAllowance}).
 */
export const defaultAskMaxOutputTokens: Readonly<Record<Verbosity, number>> = Object.freeze({
  0: 256,
  1: 512,
  2: 768,
  3: 2048,
  4: 4096,
});

/**
 * Output tokens of one sleep-time model call (one rewrite of the memory, or a finish) when the sleep
 * sets no `maxOutputTokens`: about 8,000 characters of memory, more than the paper's memory cap
 * (5,000 characters).
 */
export const defaultSleepCallMaxOutputTokens = 2048;

/**
 * Largest text a context may hold after a put or an append, in bytes of UTF-8 (4 MiB): every sleep
 * and ask sends the whole text to the model, and appends would otherwise grow it without end.
 */
export const defaultMaxContextBytes = 4 * 1024 * 1024;

/** Output tokens of a proxied chat completion when the caller sends no `max_tokens`. */
export const defaultChatMaxOutputTokens = 4096;

/** Added to a default output limit when the call asks for reasoning by effort, for the thoughts. */
export const defaultThinkingAllowance: Readonly<Record<'low' | 'medium' | 'high', number>> = Object.freeze({
  low: 2048,
  medium: 8192,
  high: 16384,
});

/**
 * The output limit of a call that sets none: the default for its kind, plus room for thinking when it
 * asks for some. Anthropic's provider adds the thinking budget to the limit itself, so nothing is added there.
 */
export function defaultOutputLimit(
  base: number,
  budget: { effort?: 'low' | 'medium' | 'high' | undefined; thinkingBudget?: number | undefined },
  provider: ProviderKind,
): number {
  if (provider === 'anthropic') return base;
  const thinking = budget.thinkingBudget ?? (budget.effort === undefined ? 0 : defaultThinkingAllowance[budget.effort]);
  return base + thinking;
}
