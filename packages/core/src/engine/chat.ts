/**
 * A chat: a conversation about a context, as an OpenAI-compatible proxy receives it. The learned
 * context goes in a system message before the caller's messages (where a cache breakpoint goes);
 * the rest is the caller's, tools included, and goes through the one test-time path.
 */
import { jsonSchema, tool, type JSONSchema7, type ModelMessage, type ToolChoice, type ToolSet } from 'ai';
import { withoutUndefined } from '../without-undefined.js';
import { defaultChatMaxOutputTokens } from './engine-defaults.js';
import type { EngineDeps } from './engine-deps.js';
import { learnedContextSystemMessage } from './prompts.js';
import type { ChatMessage, ChatRequest, ChatResult, ChatTool, ChatToolChoice } from './engine-types.js';
import { prepareTestTimeCall, type PreparedTestTimeCall, type TestTimeAnswer } from './test-time-call.js';

/** The text of the last user message: what a chat's run records as its question. */
export function lastUserText(messages: readonly ChatMessage[]): string {
  return [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
}

/** The conversation in the AI SDK's terms: tool calls and results become parts. */
function toModelMessages(messages: readonly ChatMessage[]): ModelMessage[] {
  return messages.map((message): ModelMessage => {
    switch (message.role) {
      case 'tool':
        return {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: message.toolCallId, toolName: message.toolName, output: { type: 'text', value: message.content } }],
        };
      case 'assistant': {
        const calls = message.toolCalls ?? [];
        if (calls.length === 0) return { role: 'assistant', content: message.content };
        return {
          role: 'assistant',
          content: [
            ...(message.content === '' ? [] : [{ type: 'text' as const, text: message.content }]),
            ...calls.map((call) => ({ type: 'tool-call' as const, toolCallId: call.id, toolName: call.name, input: call.input })),
          ],
        };
      }
      default:
        return { role: message.role, content: message.content };
    }
  });
}

/**
 * The tools without `execute`: a call ends the (single) step and goes back to the caller.
 * Parameters are the caller's JSON Schema, unvalidated (the caller checks the arguments it gets).
 */
function toToolSet(tools: readonly ChatTool[]): ToolSet {
  // fromEntries defines own properties, so a tool named like an Object.prototype member stays a tool.
  return Object.fromEntries(
    tools.map((definition) => [
      definition.name,
      tool({
        ...(definition.description === undefined ? {} : { description: definition.description }),
        inputSchema: jsonSchema(definition.parameters as JSONSchema7),
        ...(definition.strict === undefined ? {} : { strict: definition.strict }),
      }),
    ]),
  );
}

function toToolChoice(choice: ChatToolChoice | undefined): ToolChoice<ToolSet> | undefined {
  if (choice === undefined || typeof choice === 'string') return choice;
  return { type: 'tool', toolName: choice.toolName };
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
    defaultMaxOutputTokens: defaultChatMaxOutputTokens,
    useLearned: request.useLearned ?? true,
    prompt: ({ learned }) => ({
      ...(learned === undefined ? {} : { system: learnedContextSystemMessage(learned.text) }),
      messages: toModelMessages(request.messages),
    }),
    tools: request.tools === undefined || request.tools.length === 0 ? undefined : toToolSet(request.tools),
    toolChoice: toToolChoice(request.toolChoice),
    parallelToolCalls: request.parallelToolCalls,
    temperature: request.temperature,
    topP: request.topP,
    seed: request.seed,
    stopSequences: request.stopSequences,
    signal: request.signal,
  });
  return { prepared, toResult: ({ outcome, text, toolCalls }) => ({ ...outcome, text, toolCalls }) };
}
