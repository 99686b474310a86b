/** The engine's chat results in OpenAI's response shapes: completions, streamed chunks, usage, finish reasons. */
import type { ChatResult, ChatToolCall, Usage } from '@sleeptime/core';

export function openAiFinishReason(reason: string): string {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content-filter':
      return 'content_filter';
    case 'tool-calls':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

export function openAiUsage(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

function openAiToolCalls(calls: readonly ChatToolCall[]) {
  return calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } }));
}

/** Identifies one completion in every chunk of its stream. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function chatCompletion(identity: CompletionIdentity, result: ChatResult) {
  const message =
    result.toolCalls.length === 0
      ? { role: 'assistant', content: result.text, refusal: null }
      : // OpenAI sends null content with tool calls when the model wrote no text.
        { role: 'assistant', content: result.text === '' ? null : result.text, refusal: null, tool_calls: openAiToolCalls(result.toolCalls) };
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openAiFinishReason(result.finishReason) }],
    usage: openAiUsage(result.usage),
  };
}

export function chatCompletionChunk(identity: CompletionIdentity, delta: Record<string, unknown>, finishReason: string | null) {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

/** The last chunk of a stream with `stream_options.include_usage`: no choices, the usage. */
export function usageChunk(identity: CompletionIdentity, usage: Usage) {
  return { id: identity.id, object: 'chat.completion.chunk', created: identity.created, model: identity.model, choices: [], usage: openAiUsage(usage) };
}
