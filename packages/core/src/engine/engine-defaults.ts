/** The engine's defaults, in a module of their own so that reading them loads nothing else. */
import type { Verbosity } from './prompts.js';

/** Rewrites allowed per sleep branch. */
export const defaultMaxRewrites = 10;
/** k parallel sleep runs at temperature 0 would mostly write the same memory k times. */
export const defaultParallelSleepTemperature = 0.7;
/** Answering style of an ask: reason as much as the question needs. */
export const defaultVerbosity: Verbosity = 3;
