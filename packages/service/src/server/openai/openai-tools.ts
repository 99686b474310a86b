/**
 * The request's function tools for the AI SDK, without `execute`: the model's calls end the
 * (single) step and go back to the caller. Parameters are passed as the caller's JSON Schema,
 * unvalidated (the caller checks the arguments it receives, as with OpenAI).
 */
import { jsonSchema, tool, type JSONSchema7, type ToolChoice, type ToolSet } from 'ai';
import { ApiError } from '../api-errors.js';
import type { ChatCompletionBody } from '../api-schemas.js';

export function toToolSettings(body: Pick<ChatCompletionBody, 'tools' | 'tool_choice'>): { tools?: ToolSet; toolChoice?: ToolChoice<ToolSet> } {
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
  // fromEntries defines own properties, so a tool named like an Object.prototype member stays a tool.
  const tools: ToolSet = Object.fromEntries(
    definitions.map(({ function: definition }) => [
      definition.name,
      tool({
        ...(definition.description === undefined ? {} : { description: definition.description }),
        inputSchema: jsonSchema((definition.parameters ?? { type: 'object', properties: {} }) as JSONSchema7),
        ...(definition.strict === undefined || definition.strict === null ? {} : { strict: definition.strict }),
      }),
    ]),
  );
  const toolChoice: ToolChoice<ToolSet> | undefined = choice === undefined ? undefined : typeof choice === 'string' ? choice : { type: 'tool', toolName: choice.function.name };
  return { tools, ...(toolChoice === undefined ? {} : { toolChoice }) };
}
