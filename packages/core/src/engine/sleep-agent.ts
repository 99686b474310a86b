import type { LanguageModelV3 } from '@ai-sdk/provider';
import { APICallError, generateText, stepCountIs, tool, ToolChoiceViolationError, type ModelMessage, type ToolSet } from 'ai';
import { z } from 'zod';
import { SleeptimeError, userError } from '../errors.js';
import type { CallSettings } from '../models/types.js';
import {
  buildSleepTrigger,
  finishRethinkingToolName,
  rethinkMemoryToolName,
  sleepSystemPromptFor,
  sleepTextFinishWord,
  type SleepPromptStyle,
  type SleepProtocol,
} from './prompts.js';
import { defaultMaxExplorationSteps, defaultMaxRewrites } from './engine-defaults.js';
import { withCallRecording, type RecordedModelCall } from './recording-model.js';
import { memoryCharacters, oversizedMemoryReason, sameMemory, unusableMemoryReason } from './sleep-memory.js';

/** Steps allowed beyond `maxRewrites` for the finish call and a few malformed calls, never more. */
export const extraStepsAllowed = 5;

import type { SleepProtocolChoice, SleepStopReason } from './sleep-agent-types.js';

export type { SleepProtocolChoice, SleepStopReason };

export interface SleepAgentOptions {
  languageModel: LanguageModelV3;
  contextText: string;
  examples?: readonly string[];
  maxRewrites?: number;
  /**
   * Hard cap on model calls; defaults to `maxRewrites + extraStepsAllowed`, plus
   * `maxExplorationSteps` when `extraTools` are given.
   */
  maxSteps?: number;
  /**
   * Read-only tools offered beside rethink_memory and finish_rethinking (a repository's
   * `readOnlyRepositoryTools`, say), each with an `execute`: the model explores with them before and
   * between rewrites. Their results go back to the model; a call of one is a step toward `maxSteps`,
   * never a rewrite. Only under the tools protocol: with `protocol: 'text'`, or a model whose server
   * rejects tools, the run is refused (`tools_required`) rather than run without them.
   */
  extraTools?: ToolSet;
  /**
   * Steps added to the default `maxSteps` when `extraTools` are given (default
   * `defaultMaxExplorationSteps`, 30); ignored when `maxSteps` is set.
   */
  maxExplorationSteps?: number;
  callSettings?: CallSettings;
  temperature?: number;
  /** Default `auto`. */
  protocol?: SleepProtocolChoice;
  /** Which sleep-time instructions (see `SleepPromptStyle`); default `default`. */
  promptStyle?: SleepPromptStyle;
  /**
   * The most characters the memory block may hold (default: no limit). The trigger states it; a
   * longer rewrite is refused with a message naming the limit, the memory stays as it was, and the
   * model may write a shorter one (the refusal counts as a step, not a rewrite).
   */
  maxMemoryCharacters?: number;
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
  /** The protocol the run used in the end. */
  protocol: SleepProtocol;
  /** Why rewrites were refused (empty, too short, a parameter name, over the size limit...), in order. */
  refusals: string[];
  /** Calls of `extraTools` that ran (0 without them). */
  explorationCalls: number;
  calls: RecordedModelCall[];
  durationMs: number;
}

/** Models whose server refused a request with tools: their sleeps use the text protocol from then on. */
const modelsWithoutTools = new WeakMap<LanguageModelV3, true>();

/** A server saying it cannot take tools (llama.cpp's server without --jinja, Ollama models without tool support, vLLM without a tool parser...). */
export function isToolsRejection(error: unknown): boolean {
  if (SleeptimeError.isInstance(error)) return error.code === 'upstream_request_rejected' && /tool/i.test(error.message);
  if (APICallError.isInstance(error)) {
    const status = error.statusCode ?? 0;
    return status >= 400 && status < 500 && status !== 401 && status !== 403 && /tool/i.test(`${error.message} ${error.responseBody ?? ''}`);
  }
  return false;
}

/** The memory block and the rules every rewrite goes through, whatever the protocol. */
class MemoryBlock {
  memory = '';
  rewrites = 0;
  unchanged = false;
  readonly refusals: string[] = [];

  constructor(
    private readonly contextText: string,
    private readonly maxRewrites: number,
    private readonly maxCharacters: number | undefined,
    private readonly onRewrite: ((rewrites: number) => void) | undefined,
  ) {}

  get exhausted(): boolean {
    return this.rewrites >= this.maxRewrites;
  }

  /** Applies a rewrite, or refuses it; returns what the model is told. */
  offer(newMemory: string, finishHint: string): string {
    // Several calls in one step could overshoot the limit; the extra ones are refused, not applied.
    if (this.exhausted) return `Not applied: no rewrites left (limit ${this.maxRewrites}). ${finishHint}`;
    const problem = unusableMemoryReason(newMemory, this.contextText);
    if (problem !== undefined) {
      this.refusals.push(problem);
      return `Not applied: ${problem}. Write the memory itself: the facts, the quantities you computed, and likely questions with their answers.`;
    }
    const oversized = oversizedMemoryReason(newMemory, this.maxCharacters);
    if (oversized !== undefined) {
      this.refusals.push(oversized);
      const kept = this.rewrites === 0 ? 'The memory block is still empty' : 'The memory block keeps its previous version';
      return `Not applied: ${oversized}. ${kept}. Rewrite it in at most ${this.maxCharacters} characters: keep what the questions will need most, shorten the rest or drop it.`;
    }
    if (this.rewrites > 0 && sameMemory(newMemory, this.memory)) {
      this.unchanged = true;
      return 'The memory is unchanged, so the session ends.';
    }
    this.memory = newMemory;
    this.rewrites += 1;
    this.onRewrite?.(this.rewrites);
    const left = this.maxRewrites - this.rewrites;
    const size = this.maxCharacters === undefined ? `${memoryCharacters(newMemory)} characters` : `${memoryCharacters(newMemory)} of at most ${this.maxCharacters} characters`;
    return `Memory rewritten (${size}). ${left} rewrite(s) left.${left === 0 ? ` ${finishHint}` : ''}`;
  }
}

/**
 * One sleep-time agent run: the model thinks about the context and leaves its conclusions in a memory
 * block through full rewrites. Malformed tool calls and refused rewrites do not end the loop: the model
 * is told what was wrong on its next step, and each counts as a step toward `maxSteps`.
 */
export async function runSleepAgent(options: SleepAgentOptions): Promise<SleepAgentResult> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const calls: RecordedModelCall[] = [];
  const model = withCallRecording(options.languageModel, {
    now,
    onCall: async (call) => {
      calls.push(call);
      await options.onCall?.(call);
    },
  });
  const choice = options.protocol ?? 'auto';
  const exploring = checkedExtraTools(options.extraTools) !== undefined;
  if (exploring && choice === 'text') throw explorationNeedsTools('protocol text was asked for');
  if (exploring && choice === 'auto' && modelsWithoutTools.has(options.languageModel)) throw explorationNeedsTools("the model's server rejected a request with tools");
  const run = async (protocol: SleepProtocol) => (protocol === 'tools' ? runWithTools(options, model) : { ...(await runWithText(options, model)), explorationCalls: 0 });

  let protocol: SleepProtocol = choice === 'auto' ? (modelsWithoutTools.has(options.languageModel) ? 'text' : 'tools') : choice;
  let outcome: { block: MemoryBlock; stopReason: SleepStopReason; explorationCalls: number };
  try {
    outcome = await run(protocol);
  } catch (error) {
    if (choice !== 'auto' || protocol !== 'tools' || !isToolsRejection(error)) throw error;
    modelsWithoutTools.set(options.languageModel, true);
    if (exploring) throw explorationNeedsTools("the model's server rejected a request with tools", error);
    protocol = 'text';
    outcome = await run(protocol);
  }
  const { block, stopReason, explorationCalls } = outcome;
  return {
    memory: block.memory,
    rewrites: block.rewrites,
    stopReason,
    protocol,
    refusals: block.refusals,
    explorationCalls,
    calls,
    durationMs: Math.max(0, now() - startedAt),
  };
}

/** The exploration tools of a run, checked; undefined when there are none. */
function checkedExtraTools(extraTools: ToolSet | undefined): ToolSet | undefined {
  if (extraTools === undefined) return undefined;
  const names = Object.keys(extraTools);
  if (names.length === 0) return undefined;
  for (const name of names) {
    if (name === rethinkMemoryToolName || name === finishRethinkingToolName) {
      throw userError('invalid_option', `extraTools must not redefine the sleep-time agent's own tool ${name}`, { field: 'extraTools' });
    }
    if (typeof extraTools[name]?.execute !== 'function') {
      throw userError('invalid_option', `extraTools: the tool ${name} has no execute function (the agent runs every tool it is offered)`, { field: 'extraTools' });
    }
  }
  return extraTools;
}

/** Exploration tools exist only under the tools protocol: a run that cannot have them is refused, not run blind. */
function explorationNeedsTools(why: string, cause?: unknown): SleeptimeError {
  return new SleeptimeError({
    code: 'tools_required',
    category: 'user',
    message: `The sleep-time agent's exploration tools need the tools protocol, but ${why}: use a model served with tool calling`,
    cause,
  });
}

function limitsOf(options: SleepAgentOptions): { maxRewrites: number; maxSteps: number } {
  const maxRewrites = options.maxRewrites ?? defaultMaxRewrites;
  const exploration = checkedExtraTools(options.extraTools) === undefined ? 0 : (options.maxExplorationSteps ?? defaultMaxExplorationSteps);
  return { maxRewrites, maxSteps: options.maxSteps ?? maxRewrites + extraStepsAllowed + exploration };
}

/** The caller's tools, each call counted (the AI SDK runs them; their results go back to the model as they are). */
function countedTools(extraTools: ToolSet, onCall: () => void): ToolSet {
  const counted: ToolSet = {};
  for (const [name, original] of Object.entries(extraTools)) {
    const execute = original.execute;
    if (execute === undefined) continue;
    counted[name] = {
      ...original,
      execute: (input: unknown, callOptions: Parameters<typeof execute>[1]) => {
        onCall();
        return execute(input, callOptions);
      },
    } as typeof original;
  }
  return counted;
}

async function runWithTools(options: SleepAgentOptions, model: LanguageModelV3): Promise<{ block: MemoryBlock; stopReason: SleepStopReason; explorationCalls: number }> {
  const { maxRewrites, maxSteps } = limitsOf(options);
  const block = new MemoryBlock(options.contextText, maxRewrites, options.maxMemoryCharacters, options.onRewrite);
  let finished = false;
  const finishHint = `Call ${finishRethinkingToolName}.`;
  const extraTools = checkedExtraTools(options.extraTools);
  let explorationCalls = 0;
  const explorationTools = extraTools === undefined ? {} : countedTools(extraTools, () => (explorationCalls += 1));
  const explorationToolNames = Object.keys(explorationTools);

  const tools: ToolSet = {
    ...explorationTools,
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
      execute: async ({ new_memory: newMemory }) => block.offer(newMemory, finishHint),
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

  let stepsTaken = 0;
  let modelStoppedWithoutToolCall = false;
  try {
    const result = await generateText({
      model,
      system: sleepSystemPromptFor(options.promptStyle, 'tools', explorationToolNames),
      messages: [
        {
          role: 'user',
          content: buildSleepTrigger({
            contextText: options.contextText,
            examples: options.examples,
            maxRewrites,
            protocol: 'tools',
            maxMemoryCharacters: options.maxMemoryCharacters,
            exploration: explorationToolNames.length === 0 ? undefined : { toolNames: explorationToolNames, maxSteps },
          }),
        },
      ],
      tools,
      toolChoice: 'required',
      // Until the memory holds something, finishing is not allowed: it would waste the run (and a
      // small or untrained model otherwise picks either tool at random). Without exploration tools
      // the first call must be a rewrite; with them the model explores first, and the last two
      // steps are kept for a rewrite if it has not written one by then.
      prepareStep: ({ stepNumber }) => {
        if (block.rewrites > 0) return {};
        if (explorationToolNames.length === 0 || stepNumber >= maxSteps - 2) return { toolChoice: { type: 'tool' as const, toolName: rethinkMemoryToolName } };
        return { activeTools: [...explorationToolNames, rethinkMemoryToolName] };
      },
      stopWhen: [() => finished, () => block.unchanged, () => block.exhausted, stepCountIs(maxSteps)],
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
    stepsTaken = Number.POSITIVE_INFINITY;
  }

  let stopReason: SleepStopReason;
  if (finished) stopReason = 'finished';
  else if (block.unchanged) stopReason = 'unchanged';
  else if (block.exhausted) stopReason = 'max-rewrites';
  else if (!modelStoppedWithoutToolCall && stepsTaken >= maxSteps) stopReason = 'step-limit';
  else stopReason = 'model-stopped';
  return { block, stopReason, explorationCalls };
}

/** What a reply under the text protocol says: a new memory (maybe followed by the finish word), the finish word alone, or nothing usable. */
export function parseTextReply(reply: string): { memory?: string; finish: boolean } {
  const blocks = [...reply.matchAll(/<memory>([\s\S]*?)<\/memory>/gi)];
  const finishWord = new RegExp(`\\b${sleepTextFinishWord}\\b`);
  if (blocks.length > 0) {
    const last = blocks.at(-1);
    const outside = reply.replace(/<memory>[\s\S]*?<\/memory>/gi, ' ');
    return { memory: last?.[1] ?? '', finish: finishWord.test(outside) };
  }
  const opened = /<memory>([\s\S]*)$/i.exec(reply);
  if (opened !== null) return { memory: opened[1] ?? '', finish: false };
  const trimmed = reply.trim();
  if (trimmed === '') return { finish: false };
  if (finishWord.test(trimmed) && trimmed.replace(finishWord, '').replace(/[\s.!]/g, '') === '') return { finish: true };
  // A model that ignores the tags: its whole reply is its memory (the usual rules still apply).
  return { memory: trimmed, finish: false };
}

async function runWithText(options: SleepAgentOptions, model: LanguageModelV3): Promise<{ block: MemoryBlock; stopReason: SleepStopReason }> {
  const { maxRewrites, maxSteps } = limitsOf(options);
  const block = new MemoryBlock(options.contextText, maxRewrites, options.maxMemoryCharacters, options.onRewrite);
  const finishHint = `Reply with ${sleepTextFinishWord}.`;
  const messages: ModelMessage[] = [
    {
      role: 'user',
      content: buildSleepTrigger({ contextText: options.contextText, examples: options.examples, maxRewrites, protocol: 'text', maxMemoryCharacters: options.maxMemoryCharacters }),
    },
  ];
  for (let step = 0; step < maxSteps; step++) {
    const result = await generateText({
      model,
      system: sleepSystemPromptFor(options.promptStyle, 'text'),
      messages,
      maxRetries: 0,
      maxOutputTokens: options.callSettings?.maxOutputTokens,
      providerOptions: options.callSettings?.providerOptions,
      temperature: options.temperature,
      abortSignal: options.signal,
    });
    const reply = parseTextReply(result.text);
    if (reply.memory === undefined && !reply.finish) return { block, stopReason: 'model-stopped' };
    let feedback: string;
    if (reply.memory !== undefined && result.finishReason === 'length') {
      feedback = 'Not applied: the reply was cut off by the output limit. Write a shorter complete memory.';
    } else if (reply.memory !== undefined) {
      feedback = block.offer(reply.memory, finishHint);
      if (block.unchanged) return { block, stopReason: 'unchanged' };
      if (block.exhausted) return { block, stopReason: 'max-rewrites' };
    } else {
      feedback = 'The memory block is still empty.';
    }
    if (reply.finish && block.rewrites > 0) return { block, stopReason: 'finished' };
    messages.push(
      { role: 'assistant', content: result.text },
      { role: 'user', content: `${feedback} Reply with an improved complete memory between <memory> and </memory>, or ${sleepTextFinishWord}.` },
    );
  }
  return { block, stopReason: 'step-limit' };
}
