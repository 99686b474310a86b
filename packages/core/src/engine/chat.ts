/**
 * A chat: a conversation about a context, as an OpenAI-compatible proxy receives it. The learned
 * context goes in a system message before the caller's messages (where a cache breakpoint goes);
 * the rest is the caller's, tools included, and goes through the one test-time path.
 */
import type { ModelMessage } from 'ai';
import { withoutUndefined } from '../without-undefined.js';
import type { EngineDeps } from './engine-deps.js';
import { learnedContextSystemMessage } from './prompts.js';
import type { ChatRequest, ChatResult } from './engine-types.js';
import { prepareTestTimeCall, type PreparedTestTimeCall, type TestTimeAnswer } from './test-time-call.js';

/** The text of the last user message: what a chat's run records as its question. */
export function lastUserText(messages: readonly ModelMessage[]): string {
  const last = [...messages].reverse().find((message) => message.role === 'user');
  if (last === undefined) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
}

export interface PreparedChat {
  prepared: PreparedTestTimeCall;
  toResult(answer: TestTimeAnswer): ChatResult;
}

export async function prepareChat(deps: EngineDeps, contextId: string, request: ChatRequest): Promise<PreparedChat> {
  const prepared = await prepareTestTimeCall(deps, {
    contextId,
    what: 'chat completion',
    failureCode: 'chat_completion_failed',
    question: request.question ?? lastUserText(request.messages),
    settings: { ...request.runSettings, ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }) },
    budget: withoutUndefined({ maxOutputTokens: request.maxOutputTokens, effort: request.effort }),
    useLearned: request.useLearned ?? true,
    prompt: ({ learned }) => ({
      ...(learned === undefined ? {} : { system: learnedContextSystemMessage(learned.text) }),
      messages: request.messages,
    }),
    tools: request.tools,
    toolChoice: request.toolChoice,
    parallelToolCalls: request.parallelToolCalls,
    temperature: request.temperature,
    topP: request.topP,
    seed: request.seed,
    stopSequences: request.stopSequences,
    signal: request.signal,
  });
  return { prepared, toResult: ({ outcome, text, toolCalls, finishReason }) => ({ ...outcome, text, toolCalls, finishReason }) };
}
