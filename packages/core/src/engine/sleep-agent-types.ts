/**
 * The sleep-time agent's plain types, apart from the agent: the engine's public types use them, and
 * importing them must not bring in the AI SDK's declarations (a consumer type-checking without DOM
 * types could not compile those).
 */
import type { SleepProtocol } from './prompts.js';

/**
 * Why a sleep-time agent run ended:
 * - `finished`: the model said it was done (`finish_rethinking`, or the finish word);
 * - `unchanged`: a rewrite left the memory as it was, so more rewrites would not change it either;
 * - `max-rewrites`: it used up its rewrites;
 * - `step-limit`: it hit the hard cap on model calls (typically by repeating malformed or refused rewrites);
 * - `model-stopped`: it replied with nothing the loop could use (no tool call, an empty reply, or a
 *   call cut off by the output limit), so the loop could not go on. The memory written so far is kept.
 */
export type SleepStopReason = 'finished' | 'unchanged' | 'max-rewrites' | 'step-limit' | 'model-stopped';

/**
 * How the agent talks to the model: `tools` (rethink_memory / finish_rethinking tool calls), `text`
 * (the memory between <memory> tags, for models and servers without tool calling), or `auto`: tools,
 * and text from then on for a model whose server rejects a request with tools.
 */
export type SleepProtocolChoice = SleepProtocol | 'auto';
