/**
 * The prompt choices that depend on an item's dataset, as the paper's released runs make them
 * (letta-ai/sleep-time-compute):
 *
 * - Sleep time: Stateful AIME runs (run_stateful_aime.py, run_stateful_aime_stream.py) give the
 *   sleep-time agent their own instructions, `sleep_time_base_aime` (part of a problem now, the rest
 *   later: predict where it may go), where GSM-Symbolic runs use `sleep_time_base`. Here: the
 *   engine's `promptStyle: 'aime'` for AIME items, the default for the others.
 * - Test time: the AIME runs answer with the verbosity-0 blocks (convo_verbosity_0,
 *   persona_verbosity_0, human_verbosity_0: "respond directly with a single sentence") and scale
 *   test-time compute by reasoning effort (o1, o3-mini) or thinking tokens (Claude) alone. So an AIME
 *   item whose test-time budget sets no verbosity is answered at verbosity 0; other items keep the
 *   engine's default (3). A budget that sets a verbosity is always taken as it is.
 */
import { defaultVerbosity, type SleepPromptStyle, type Verbosity } from '@sleeptime/core';
import type { BenchItem, TestTimeBudget } from '../bench-types.js';

/** Stateful AIME items (grader `aime`, from `loadAimeItems` or an AIME JSONL file). */
function isStatefulAime(item: BenchItem): boolean {
  return item.grader === 'aime';
}

/** The sleep-time instructions for an item: `aime` for Stateful AIME, else the engine's default. */
export function sleepPromptStyleFor(item: BenchItem): SleepPromptStyle {
  return isStatefulAime(item) ? 'aime' : 'default';
}

/** The answering verbosity of a test-time budget on an item (see the file header). */
export function answerVerbosityFor(item: BenchItem, testBudget: TestTimeBudget): Verbosity {
  if (testBudget.verbosity !== undefined) return testBudget.verbosity;
  return isStatefulAime(item) ? 0 : defaultVerbosity;
}
