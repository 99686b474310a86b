import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, stepCountIs, tool, ToolChoiceViolationError } from 'ai';
import { z } from 'zod';
import type { CallSettings } from '../models/types.js';
import {
  buildSleepTrigger,
  finishRethinkingToolName,
  rethinkMemoryToolName,
  sleepSystemPrompt,
} from './prompts.js';
import { defaultMaxRewrites } from './engine-defaults.js';
import { withCallRecording, type RecordedModelCall } from './recording-model.js';


/** Steps allowed beyond `maxRewrites` for the finish call and a few malformed calls, never more. */
export const extraStepsAllowed = 5;

/**
 * Why a sleep-time agent run ended:
 * - `finished`: the model called `finish_rethinking`;
 * - `max-rewrites`: it used up its rewrites;
 * - `step-limit`: it hit the hard cap on model calls (typically by repeating malformed tool calls);
 * - `model-stopped`: it replied without a tool call (or with tool calls the SDK would not run, e.g.
 *   cut off by the output limit), so the loop could not go on. The memory written so far is kept.
 */
export type SleepStopReason = 'finished' | 'max-rewrites' | 'step-limit' | 'model-stopped';

export interface SleepAgentOptions {
  languageModel: LanguageModelV3;
  contextText: string;
  examples?: readonly string[];
  maxRewrites?: number;
  /** Hard cap on model calls; defaults to `maxRewrites + extraStepsAllowed`. */
  maxSteps?: number;
  callSettings?: CallSettings;
  temperature?: number;
  signal?: AbortSignal;
  now?: () => number;
  /** Called (and awaited) after every model call, before its tool calls run. */
  onCall?: (call: RecordedModelCall) => void | Promise<void>;
  /** Called after every applied rewrite with the number of rewrites so far. */
  onRewrite?: (rewrites: number) => void;
}

export interface SleepAgentResult {
  /** The memory block after the last applied rewrite; '' if the model never rewrote it. */
  memory: string;
  rewrites: number;
  stopReason: SleepStopReason;
  calls: RecordedModelCall[];
  durationMs: number;
}

/**
 * One sleep-time agent run: the model thinks about the context and leaves its conclusions in a memory
 * block through full rewrites. Malformed tool calls do not end the loop: the AI SDK answers them with a
 * tool error the model sees on its next step, and each counts as a step toward `maxSteps`.
 */
export async function runSleepAgent(options: SleepAgentOptions): Promise<SleepAgentResult> {
  const now = options.now ?? Date.now;
  const maxRewrites = options.maxRewrites ?? defaultMaxRewrites;
  const maxSteps = options.maxSteps ?? maxRewrites + extraStepsAllowed;
  const startedAt = now();
  const calls: RecordedModelCall[] = [];

  let memory = '';
  let rewrites = 0;
  let finished = false;

  const tools = {
    [rethinkMemoryToolName]: tool({
      description:
        'Replace the whole memory block with new_memory. A full rewrite, not an append: include everything worth keeping.',
      inputSchema: z.object({
        new_memory: z
          .string()
          // minLength reaches the JSON schema, so grammar-constrained models cannot send an empty memory.
          .min(1)
          .refine((value) => value.trim() !== '', 'new_memory must not be empty')
          .describe('The complete new content of the memory block.'),
      }),
      execute: async ({ new_memory: newMemory }) => {
        // Several calls in one step could overshoot the limit; the extra ones are refused, not applied.
        if (rewrites >= maxRewrites) {
          return `Not applied: no rewrites left (limit ${maxRewrites}). Call ${finishRethinkingToolName}.`;
        }
        memory = newMemory;
        rewrites += 1;
        options.onRewrite?.(rewrites);
        const left = maxRewrites - rewrites;
        return `Memory rewritten (${newMemory.length} characters). ${left} rewrite(s) left.${left === 0 ? ` Call ${finishRethinkingToolName}.` : ''}`;
      },
    }),
    [finishRethinkingToolName]: tool({
      description: 'End the session once the memory block is complete and double-checked.',
      inputSchema: z.object({}),
      execute: async () => {
        finished = true;
        return 'Finished.';
      },
    }),
  };

  const model = withCallRecording(options.languageModel, {
    now,
    onCall: async (call) => {
      calls.push(call);
      await options.onCall?.(call);
    },
  });

  let stepsTaken = 0;
  let modelStoppedWithoutToolCall = false;
  try {
    const result = await generateText({
      model,
      system: sleepSystemPrompt,
      messages: [
        {
          role: 'user',
          content: buildSleepTrigger({ contextText: options.contextText, examples: options.examples, maxRewrites }),
        },
      ],
      tools,
      toolChoice: 'required',
      // Until the memory holds something, only a rewrite is allowed: finishing with an empty memory
      // would waste the run (and a small or untrained model otherwise picks either tool at random).
      prepareStep: () => (rewrites === 0 ? { toolChoice: { type: 'tool', toolName: rethinkMemoryToolName } } : {}),
      stopWhen: [() => finished, () => rewrites >= maxRewrites, stepCountIs(maxSteps)],
      // The model layer retries provider faults itself; retrying here too would multiply attempts.
      maxRetries: 0,
      maxOutputTokens: options.callSettings?.maxOutputTokens,
      providerOptions: options.callSettings?.providerOptions,
      temperature: options.temperature,
      abortSignal: options.signal,
    });
    stepsTaken = result.steps.length;
  } catch (error) {
    // A reply with no tool call at all breaks `toolChoice: 'required'`. Models served without
    // tool-choice enforcement do this when they consider themselves done: keep what they wrote.
    if (!ToolChoiceViolationError.isInstance(error)) throw error;
    modelStoppedWithoutToolCall = true;
    stepsTaken = calls.length;
  }

  let stopReason: SleepStopReason;
  if (finished) stopReason = 'finished';
  else if (rewrites >= maxRewrites) stopReason = 'max-rewrites';
  else if (!modelStoppedWithoutToolCall && stepsTaken >= maxSteps) stopReason = 'step-limit';
  else stopReason = 'model-stopped';

  return { memory, rewrites, stopReason, calls, durationMs: Math.max(0, now() - startedAt) };
}
