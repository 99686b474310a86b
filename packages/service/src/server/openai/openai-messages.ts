/**
 * OpenAI chat messages to the engine's chat messages. Tool calls of assistant messages keep their
 * parsed arguments, and each `tool` message is named after the earlier call it answers. As OpenAI
 * requires, the calls of an assistant message must all be answered by the `tool` messages that
 * follow it, before any other message (models refuse the conversation otherwise).
 */
import type { ChatMessage as EngineChatMessage } from '@sleeptime/core';
import { ApiError } from '../api-errors.js';
import type { ChatCompletionBody } from '../api-schemas.js';

type ChatMessage = ChatCompletionBody['messages'][number];

export function messageText(content: ChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

/** Parses a tool call's JSON arguments; empty means none, as the AI SDK reads it. */
function toolCallInput(argumentsText: string, where: string): unknown {
  if (argumentsText.trim() === '') return {};
  try {
    return JSON.parse(argumentsText) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_tool_call_arguments', `${where}.function.arguments is not valid JSON`, { field: `${where}.function.arguments` });
  }
}

export function toChatMessages(messages: ChatCompletionBody['messages']): EngineChatMessage[] {
  const toolNames = new Map<string, string>();
  const unanswered = new Set<string>();
  const checkAnswered = (before: string) => {
    if (unanswered.size === 0) return;
    throw new ApiError(
      400,
      'missing_tool_results',
      `The tool calls ${[...unanswered].map((id) => `"${id}"`).join(', ')} have no tool message answering them ${before}`,
    );
  };
  const converted = messages.map((message: ChatMessage, index): EngineChatMessage => {
    const text = messageText(message.content);
    if (message.role === 'tool') {
      const toolName = toolNames.get(message.tool_call_id);
      if (toolName === undefined) {
        throw new ApiError(400, 'unknown_tool_call_id', `messages.${index}.tool_call_id "${message.tool_call_id}" answers no tool call of an earlier assistant message`, {
          field: `messages.${index}.tool_call_id`,
        });
      }
      unanswered.delete(message.tool_call_id);
      return { role: 'tool', toolCallId: message.tool_call_id, toolName, content: text };
    }
    checkAnswered(`before messages.${index}`);
    if (message.role === 'assistant') {
      const toolCalls = (message.tool_calls ?? []).map((call, callIndex) => {
        toolNames.set(call.id, call.function.name);
        unanswered.add(call.id);
        return { id: call.id, name: call.function.name, input: toolCallInput(call.function.arguments, `messages.${index}.tool_calls.${callIndex}`) };
      });
      return toolCalls.length === 0 ? { role: 'assistant', content: text } : { role: 'assistant', content: text, toolCalls };
    }
    if (message.role === 'user') return { role: 'user', content: text };
    // OpenAI's `developer` role is its newer name for system instructions.
    return { role: 'system', content: text };
  });
  checkAnswered('at the end of the messages');
  return converted;
}
