/**
 * OpenAI chat messages to AI SDK model messages. Tool calls of assistant messages become
 * `tool-call` parts, and each `tool` message a `tool-result` named after the earlier call it
 * answers. As OpenAI requires, the calls of an assistant message must all be answered by the `tool`
 * messages that follow it, before any other message (the AI SDK refuses the prompt otherwise).
 */
import type { AssistantContent, ModelMessage } from 'ai';
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

export function toModelMessages(messages: ChatCompletionBody['messages']): ModelMessage[] {
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
  const converted = messages.map((message: ChatMessage, index): ModelMessage => {
    const text = messageText(message.content);
    if (message.role === 'tool') {
      const toolName = toolNames.get(message.tool_call_id);
      if (toolName === undefined) {
        throw new ApiError(400, 'unknown_tool_call_id', `messages.${index}.tool_call_id "${message.tool_call_id}" answers no tool call of an earlier assistant message`, {
          field: `messages.${index}.tool_call_id`,
        });
      }
      unanswered.delete(message.tool_call_id);
      return { role: 'tool', content: [{ type: 'tool-result', toolCallId: message.tool_call_id, toolName, output: { type: 'text', value: text } }] };
    }
    checkAnswered(`before messages.${index}`);
    if (message.role === 'assistant') {
      const toolCalls = message.tool_calls ?? [];
      if (toolCalls.length === 0) return { role: 'assistant', content: text };
      const content: Exclude<AssistantContent, string> = text === '' ? [] : [{ type: 'text', text }];
      toolCalls.forEach((call, callIndex) => {
        toolNames.set(call.id, call.function.name);
        unanswered.add(call.id);
        content.push({
          type: 'tool-call',
          toolCallId: call.id,
          toolName: call.function.name,
          input: toolCallInput(call.function.arguments, `messages.${index}.tool_calls.${callIndex}`),
        });
      });
      return { role: 'assistant', content };
    }
    if (message.role === 'user') return { role: 'user', content: text };
    // OpenAI's `developer` role is its newer name for system instructions.
    return { role: 'system', content: text };
  });
  checkAnswered('at the end of the messages');
  return converted;
}
