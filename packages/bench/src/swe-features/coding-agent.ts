/**
 * The test-time coding agent of SWE-Features: a tool loop on a worktree of the item's base commit
 * under a step budget N. A step is one model call (with every tool call it makes); each user turn
 * starts with `[Step: i/N]` (coding-agent-prompts.ts), the first one with the task. The loop ends when
 * the model calls `done` (its tool calls in that step still run), when it replies without a tool
 * call it can use, or after step N. What the agent changed is read from git's diff of the worktree
 * against the base commit (`editedFiles`), whatever tool made the change.
 *
 * Every call is made with tool choice `required`: an agent that acts through tools, and says it is
 * done through one. A reply cut at the output limit before its tool calls could run (or before it
 * finished writing one) is not an end: its calls are dropped, the model is told why at the next
 * step, and the step counts.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, stepCountIs, tool, ToolChoiceViolationError, type ModelMessage } from 'ai';
import { z } from 'zod';
import { addUsage, truncationLimit, zeroUsage, type CallSettings, type TruncationLimit, type Usage } from '@sleeptime/core';
import {
  editedFiles,
  readWriteRepositoryTools,
  type EditedFiles,
  type RepositoryToolCall,
  type RepositoryToolLimits,
  type RepositoryWorktree,
} from '@sleeptime/core/repository';
import { withCallRecording } from '@sleeptime/core/internal';
import { contentHash } from '../runner/canonical-json.js';
import { codingAgentSystemPrompt, codingAgentTaskMessage, cutReplyNote, doneToolName, stepMarker } from './coding-agent-prompts.js';

/** The most steps a budget may give (a guard against a typo such as 10000). */
export const maxCodingAgentSteps = 500;

/**
 * Why the loop ended:
 * - `done`: the model called `done`;
 * - `step-limit`: it used its N steps;
 * - `model-stopped`: it replied without a tool call (text only, or an empty reply) and was not cut
 *   off, so the loop could not go on.
 */
export type CodingAgentStopReason = 'done' | 'step-limit' | 'model-stopped';

export interface CodingAgentOptions {
  languageModel: LanguageModelV3;
  worktree: Pick<RepositoryWorktree, 'root' | 'folder' | 'git' | 'baseCommit'>;
  task: string;
  /** The item's context (related earlier pull requests), given to both conditions. */
  contextText?: string;
  /** The sleep-time notes; absent for test-time only. */
  notes?: string;
  /** N: model calls allowed, from 1 to `maxCodingAgentSteps`. */
  maxSteps: number;
  /** Output limit and provider options of every call. */
  callSettings?: CallSettings;
  temperature?: number;
  seed?: number;
  toolLimits?: Partial<RepositoryToolLimits>;
  signal?: AbortSignal;
  /** Called after each step with what it did. */
  onStep?: (step: CodingAgentStep) => void;
}

export interface CodingAgentStep {
  /** From 1. */
  step: number;
  /** The repository tool calls the step ran, with their results (a `done` call is not among them). */
  toolCalls: RepositoryToolCall[];
  /** The reply was cut at the output limit before its tool calls could run. */
  cut: boolean;
}

export interface CodingAgentResult {
  /** Model calls made: at most `maxSteps`. */
  stepsUsed: number;
  stopReason: CodingAgentStopReason;
  /** Every repository tool call, in order. */
  toolCalls: RepositoryToolCall[];
  /** The files changed against the base commit (git's diff of the worktree). */
  edited: EditedFiles;
  /** Summed over the steps, as the provider reported each call. */
  usage: Usage;
  /** The first limit that cut a reply short, if any. */
  truncatedBy: TruncationLimit | undefined;
}

/** Runs the agent in `worktree` (which it changes); see the file's header. */
export async function runCodingAgent(options: CodingAgentOptions): Promise<CodingAgentResult> {
  const { maxSteps } = options;
  if (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > maxCodingAgentSteps) {
    throw new RangeError(`maxSteps must be an integer from 1 to ${maxCodingAgentSteps}, got ${String(maxSteps)}`);
  }
  let usage: Usage = zeroUsage;
  let truncatedBy: TruncationLimit | undefined;
  const model = withCallRecording(options.languageModel, {
    now: Date.now,
    onCall: (call) => {
      usage = addUsage(usage, call.usage);
      truncatedBy ??= truncationLimit(call.finishReason, call.rawFinishReason) ?? undefined;
    },
  });

  let stepCalls: RepositoryToolCall[] = [];
  const toolCalls: RepositoryToolCall[] = [];
  const tools = {
    ...readWriteRepositoryTools(options.worktree, {
      ...(options.toolLimits === undefined ? {} : { limits: options.toolLimits }),
      onToolCall: (call) => {
        stepCalls.push(call);
        toolCalls.push(call);
      },
    }),
    [doneToolName]: doneTool(),
  };
  const system = codingAgentSystemPrompt({
    ...(options.contextText === undefined ? {} : { contextText: options.contextText }),
    ...(options.notes === undefined ? {} : { notes: options.notes }),
  });
  const messages: ModelMessage[] = [{ role: 'user', content: codingAgentTaskMessage(options.task, maxSteps) }];

  let stopReason: CodingAgentStopReason = 'step-limit';
  let stepsUsed = 0;
  let lastStepWasCut = false;
  for (let step = 1; step <= maxSteps; step += 1) {
    if (step > 1) messages.push({ role: 'user', content: lastStepWasCut ? `${stepMarker(step, maxSteps)}\n${cutReplyNote}` : stepMarker(step, maxSteps) });
    stepCalls = [];
    stepsUsed = step;
    let result;
    try {
      result = await generateText({
        model,
        system,
        messages,
        tools,
        toolChoice: 'required',
        stopWhen: stepCountIs(1),
        // The model layer retries; retrying here too would multiply attempts.
        maxRetries: 0,
        maxOutputTokens: options.callSettings?.maxOutputTokens,
        providerOptions: options.callSettings?.providerOptions,
        temperature: options.temperature,
        seed: options.seed,
        abortSignal: options.signal,
      });
    } catch (error) {
      if (!ToolChoiceViolationError.isInstance(error)) throw error;
      // Cut at the output limit before a whole tool call was written: a cut step like any other.
      if (error.finishReason === 'length') {
        lastStepWasCut = true;
        options.onStep?.({ step, toolCalls: [], cut: true });
        continue;
      }
      // A reply without any tool call: the agent has nothing more to do through its tools.
      options.onStep?.({ step, toolCalls: [], cut: false });
      stopReason = 'model-stopped';
      break;
    }
    lastStepWasCut = result.finishReason === 'length';
    messages.push(...(lastStepWasCut ? withoutUnansweredToolCalls(result.response.messages) : result.response.messages));
    options.onStep?.({ step, toolCalls: stepCalls, cut: lastStepWasCut });
    if (!lastStepWasCut && result.toolCalls.some((call) => call.toolName === doneToolName)) {
      stopReason = 'done';
      break;
    }
  }
  return { stepsUsed, stopReason, toolCalls, edited: await editedFiles(options.worktree, options.signal), usage, truncatedBy };
}

function doneTool() {
  return tool({
    description: 'Say that the feature is implemented: the session ends after this turn (the other tool calls of this turn still run).',
    inputSchema: z.object({ summary: z.string().nullish().describe('One or two sentences on what you changed (optional).') }),
    execute: async () => 'Done: the session ends.',
  });
}

/**
 * A cut reply's messages without the tool calls that got no result (the AI SDK runs no tool of a
 * reply cut at the output limit); a provider refuses a tool call without its result, and a chat
 * template would show the model a call that never ran.
 */
function withoutUnansweredToolCalls(responseMessages: readonly ModelMessage[]): ModelMessage[] {
  const answered = new Set<string>();
  for (const message of responseMessages) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) if (part.type === 'tool-result') answered.add(part.toolCallId);
  }
  return responseMessages.flatMap((message): ModelMessage[] => {
    if (message.role !== 'assistant' || typeof message.content === 'string') return [message];
    const content = message.content.filter((part) => part.type !== 'tool-call' || answered.has(part.toolCallId));
    return content.length === 0 ? [] : [{ ...message, content }];
  });
}

/**
 * Changes whenever the tools the agent is given change (names, descriptions, input schemas): part of
 * every SWE-Features row key, with the prompts' digest.
 */
export const codingAgentToolsDigest: string = (() => {
  const placeholder = { root: '/', folder: '/', baseCommit: '', git: () => Promise.reject(new Error('not a worktree')) };
  const tools = { ...readWriteRepositoryTools(placeholder), [doneToolName]: doneTool() };
  return contentHash(
    Object.entries(tools).map(([name, definition]) => ({
      name,
      description: definition.description,
      schema: z.toJSONSchema(definition.inputSchema as z.ZodType),
    })),
  ).slice(0, 16);
})();
