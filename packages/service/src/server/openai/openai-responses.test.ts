import { describe, expect, it } from 'vitest';
import type { ChatResult } from '@sleeptime/core';
import { chatCompletion, chatCompletionChunk, openAiFinishReason, usageChunk } from './openai-responses.js';

const identity = { id: 'chatcmpl-1', created: 1700000000, model: 'm' };
const usage = { inputTokens: 10, outputTokens: 4, reasoningTokens: 1 };

function result(fields: Partial<ChatResult>): ChatResult {
  return {
    runId: 'r',
    contextId: 'c',
    fresh: true,
    learnedContextId: 1,
    learnedSourceVersion: 1,
    contextVersion: 1,
    usage,
    latencyMs: 5,
    prefixCacheHit: null,
    timeToFirstTokenMs: null,
    text: '',
    toolCalls: [],
    finishReason: 'stop',
    truncated: false,
    truncatedBy: null,
    ...fields,
  };
}

describe('OpenAI response shapes', () => {
  it("maps the AI SDK's finish reasons to OpenAI's", () => {
    expect(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other'].map(openAiFinishReason)).toEqual(['stop', 'length', 'content_filter', 'tool_calls', 'stop', 'stop']);
  });

  it('writes a completion with text, or with tool calls and null content when there is no text', () => {
    expect(chatCompletion(identity, result({ text: 'Hi.' }))).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, completion_tokens_details: { reasoning_tokens: 1 } },
    });
    const withCalls = chatCompletion(identity, result({ toolCalls: [{ id: 'a', name: 'f', arguments: '{}' }], finishReason: 'tool-calls' }));
    expect(withCalls.choices[0]).toMatchObject({
      message: { content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      finish_reason: 'tool_calls',
    });
  });

  it('writes chunks and the usage chunk of a stream', () => {
    expect(chatCompletionChunk(identity, { content: 'x' }, null)).toMatchObject({ object: 'chat.completion.chunk', choices: [{ delta: { content: 'x' }, finish_reason: null }] });
    expect(usageChunk(identity, usage)).toMatchObject({ choices: [], usage: { total_tokens: 14 } });
  });
});
