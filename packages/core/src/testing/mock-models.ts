/**
 * Test doubles for anything that calls a model: scripted replies for the AI SDK's MockLanguageModelV3 and a
 * hand-made SleeptimeModel around it.
 */
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import type { ModelBudget, SleeptimeModel } from '../models/types.js';

export interface TokenCounts {
  input: number;
  output: number;
  reasoning?: number;
}

export function reportedUsage(tokens: TokenCounts): LanguageModelV3Usage {
  const reasoning = tokens.reasoning ?? 0;
  return {
    inputTokens: { total: tokens.input, noCache: tokens.input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: tokens.output, text: tokens.output - reasoning, reasoning },
    raw: { prompt_tokens: tokens.input, completion_tokens: tokens.output, reasoning_tokens: reasoning },
  };
}

let toolCallCounter = 0;

export interface MockToolCall {
  toolName: string;
  /** An object is sent as JSON; a string is sent as is (to script malformed JSON). */
  input: unknown;
}

export function toolCallsReply(
  calls: MockToolCall[],
  tokens: TokenCounts,
  finishReason: 'tool-calls' | 'stop' | 'length' = 'tool-calls',
): LanguageModelV3GenerateResult {
  const content: LanguageModelV3Content[] = calls.map((call) => {
    toolCallCounter += 1;
    return {
      type: 'tool-call',
      toolCallId: `call-${toolCallCounter}`,
      toolName: call.toolName,
      input: typeof call.input === 'string' ? call.input : JSON.stringify(call.input),
    };
  });
  return { content, finishReason: { unified: finishReason, raw: finishReason }, usage: reportedUsage(tokens), warnings: [] };
}

export function rethink(memory: string, tokens: TokenCounts): LanguageModelV3GenerateResult {
  return toolCallsReply([{ toolName: 'rethink_memory', input: { new_memory: memory } }], tokens);
}

export function finish(tokens: TokenCounts): LanguageModelV3GenerateResult {
  return toolCallsReply([{ toolName: 'finish_rethinking', input: {} }], tokens);
}

export function textReply(text: string, tokens: TokenCounts): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'text', text }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: reportedUsage(tokens),
    warnings: [],
  };
}

export type ScriptStep =
  | LanguageModelV3GenerateResult
  | Error
  | ((options: LanguageModelV3CallOptions) => Promise<LanguageModelV3GenerateResult>);

/** A mock whose n-th call plays the n-th step of the script; calls past the end fail loudly. */
export function scriptedLanguageModel(script: ScriptStep[]): MockLanguageModelV3 {
  let callIndex = 0;
  return new MockLanguageModelV3({
    provider: 'mock',
    modelId: 'scripted',
    doGenerate: async (options) => {
      const step = script[callIndex];
      callIndex += 1;
      if (step === undefined) throw new Error(`Script exhausted: unexpected model call #${callIndex}`);
      if (step instanceof Error) throw step;
      if (typeof step === 'function') return step(options);
      return step;
    },
  });
}

/** Marker provider options so tests can see that callSettings reached the model. */
export const markerProviderOptions = { mock: { marker: 'from-call-settings' } };

export interface TestModel extends SleeptimeModel {
  readonly languageModel: MockLanguageModelV3;
  readonly budgets: ModelBudget[];
}

export function testModel(
  languageModel: MockLanguageModelV3,
  callSettings?: (budget: ModelBudget) => ReturnType<SleeptimeModel['callSettings']>,
): TestModel {
  const budgets: ModelBudget[] = [];
  return {
    spec: 'mock:scripted',
    provider: 'openai-compatible',
    languageModel,
    budgets,
    callSettings(budget) {
      budgets.push(budget);
      if (callSettings) return callSettings(budget);
      return { maxOutputTokens: budget.maxOutputTokens ?? 512, providerOptions: markerProviderOptions };
    },
    async close() {},
    // Test doubles say so: benchmark results made with them are labelled scripted.
    provenance: async () => ({ kind: 'scripted', source: 'model', detail: 'testModel of @sleeptime/core/testing' }),
  };
}

/** The text of every part of every message of a prompt, for "does the prompt mention X" checks. */
export function promptText(prompt: LanguageModelV3Prompt): string {
  return prompt
    .map((message) => {
      if (typeof message.content === 'string') return message.content;
      return message.content.map((part) => JSON.stringify(part)).join('\n');
    })
    .join('\n');
}

export function systemMessage(prompt: LanguageModelV3Prompt): string {
  const first = prompt[0];
  if (first?.role !== 'system') throw new Error(`First message is ${first?.role ?? 'missing'}, not system`);
  return first.content;
}

export function userMessageText(prompt: LanguageModelV3Prompt): string {
  const user = prompt.find((message) => message.role === 'user');
  if (user?.role !== 'user') throw new Error('No user message');
  return user.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

export function delay(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, milliseconds);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}
