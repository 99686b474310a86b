import { describe, expect, it } from 'vitest';
import { ApiError } from '../api-errors.js';
import type { ChatCompletionBody } from '../api-schemas.js';
import { toChatMessages } from './openai-messages.js';

type Messages = ChatCompletionBody['messages'];

function apiErrorOf(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('toChatMessages', () => {
  it('keeps roles and text, joins text parts, and reads developer as system', () => {
    const messages: Messages = [
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Hello, ' }, { type: 'text', text: 'there' }] },
      { role: 'assistant', content: null },
    ];
    expect(toChatMessages(messages)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello, there' },
      { role: 'assistant', content: '' },
    ]);
  });

  it('turns tool calls into calls with parsed arguments, and names each tool result after its call', () => {
    const messages: Messages = [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'b', type: 'function', function: { name: 'weather', arguments: '' } },
        ],
      },
      { role: 'tool', tool_call_id: 'b', content: 'sunny' },
      { role: 'tool', tool_call_id: 'a', content: 'rain' },
    ];
    expect(toChatMessages(messages).slice(1)).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'weather', input: { city: 'Paris' } }, { id: 'b', name: 'weather', input: {} }] },
      { role: 'tool', toolCallId: 'b', toolName: 'weather', content: 'sunny' },
      { role: 'tool', toolCallId: 'a', toolName: 'weather', content: 'rain' },
    ]);
  });

  it('refuses arguments that are not JSON, results for unknown calls, and calls left unanswered', () => {
    const call = (argumentsText: string) => ({ role: 'assistant' as const, content: null, tool_calls: [{ id: 'a', type: 'function' as const, function: { name: 'f', arguments: argumentsText } }] });
    expect(apiErrorOf(() => toChatMessages([call('{oops')])).code).toBe('invalid_tool_call_arguments');
    expect(apiErrorOf(() => toChatMessages([{ role: 'tool', tool_call_id: 'zzz', content: 'x' }])).code).toBe('unknown_tool_call_id');
    expect(apiErrorOf(() => toChatMessages([call('{}'), { role: 'user', content: 'and?' }])).code).toBe('missing_tool_results');
    expect(apiErrorOf(() => toChatMessages([call('{}')])).message).toContain('at the end of the messages');
  });
});
