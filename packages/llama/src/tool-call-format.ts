/**
 * The format of a forced tool call (tool choice `required` or one named tool): the model writes
 * exactly one JSON object `{"name": ..., "arguments": {...}}`, and a grammar built from the tools'
 * schemas makes any other output impossible. This is the shape most instruct models were trained
 * on for tool calls (Qwen, Hermes, Llama 3.1), and the prompt describes it for the others.
 */
import type { JSONSchema7, LanguageModelV3FunctionTool } from '@ai-sdk/provider';
import type { GbnfJsonSchema } from 'node-llama-cpp';
import { jsonSchemaToGrammarSchema } from './json-schema-to-grammar-schema.js';

export interface ParsedToolCall {
  toolName: string;
  /** The arguments as a JSON string, as V3 tool calls carry them. */
  input: string;
}

/** One grammar alternative per tool: the `name` constant first, so the arguments follow the chosen tool. */
export function toolCallGrammarSchema(tools: LanguageModelV3FunctionTool[]): GbnfJsonSchema {
  const alternatives = tools.map((tool) => ({
    type: 'object',
    properties: {
      name: { const: tool.name },
      arguments: jsonSchemaToGrammarSchema(tool.inputSchema),
    },
  }));
  return (alternatives.length === 1 ? alternatives[0] : { oneOf: alternatives }) as GbnfJsonSchema;
}

export function toolCallInstructions(tools: LanguageModelV3FunctionTool[], requiredToolName?: string): string {
  const descriptions = tools.map((tool) =>
    [
      `## ${tool.name}`,
      tool.description ?? '',
      `Arguments (JSON schema): ${JSON.stringify(withoutSchemaKeyword(tool.inputSchema))}`,
    ]
      .filter((line) => line !== '')
      .join('\n'),
  );
  const task =
    requiredToolName === undefined
      ? 'Reply now with exactly one call to one of these tools and nothing else'
      : `Reply now with exactly one call to the tool "${requiredToolName}" and nothing else`;
  return [
    '# Tools',
    'You can call the tools below. Each takes a JSON object of arguments that follows its schema.',
    ...descriptions,
    `${task}, written as one JSON object: {"name": "<tool name>", "arguments": {<arguments>}}`,
  ].join('\n\n');
}

/** Reads the model's JSON; undefined when it is not a complete call of a known tool (e.g. cut off). */
export function parseToolCall(text: string, tools: LanguageModelV3FunctionTool[]): ParsedToolCall | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, arguments: toolArguments } = value as { name?: unknown; arguments?: unknown };
  if (typeof name !== 'string' || !tools.some((tool) => tool.name === name)) return undefined;
  return { toolName: name, input: JSON.stringify(toolArguments ?? {}) };
}

function withoutSchemaKeyword(schema: JSONSchema7): JSONSchema7 {
  const { $schema: _schema, ...rest } = schema;
  return rest;
}
