/**
 * The request's function tools and tool choice for the engine's chat, checked as OpenAI checks them
 * (unique names, a tool choice that names one of the tools). Parameters are passed as the caller's
 * JSON Schema, unvalidated (the caller checks the arguments it receives, as with OpenAI).
 */
import type { ChatTool, ChatToolChoice } from '@sleeptime/core';
import { ApiError } from '../api-errors.js';
import type { ChatCompletionBody } from '../api-schemas.js';

export function toToolSettings(body: Pick<ChatCompletionBody, 'tools' | 'tool_choice'>): { tools?: ChatTool[]; toolChoice?: ChatToolChoice } {
  const definitions = body.tools ?? [];
  const names = new Set<string>();
  for (const [index, definition] of definitions.entries()) {
    if (names.has(definition.function.name)) {
      throw new ApiError(400, 'duplicate_tool_name', `tools.${index}.function.name "${definition.function.name}" is used by an earlier tool`, {
        field: `tools.${index}.function.name`,
      });
    }
    names.add(definition.function.name);
  }
  const choice = body.tool_choice ?? undefined;
  if (typeof choice === 'object' && !names.has(choice.function.name)) {
    throw new ApiError(400, 'unknown_tool', `tool_choice names the function "${choice.function.name}", which is not among the request's tools`, { field: 'tool_choice' });
  }
  if (choice === 'required' && names.size === 0) {
    throw new ApiError(400, 'invalid_tool_choice', 'tool_choice "required" needs at least one tool in tools', { field: 'tool_choice' });
  }
  if (definitions.length === 0) return {};
  const tools = definitions.map(({ function: definition }): ChatTool => ({
    name: definition.name,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    parameters: definition.parameters ?? { type: 'object', properties: {} },
    ...(definition.strict === undefined || definition.strict === null ? {} : { strict: definition.strict }),
  }));
  const toolChoice: ChatToolChoice | undefined = choice === undefined ? undefined : typeof choice === 'string' ? choice : { toolName: choice.function.name };
  return { tools, ...(toolChoice === undefined ? {} : { toolChoice }) };
}
