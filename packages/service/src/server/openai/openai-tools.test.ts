import { describe, expect, it } from 'vitest';
import { ApiError } from '../api-errors.js';
import { toToolSettings } from './openai-tools.js';

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error('expected an ApiError');
}

const weather = { type: 'function' as const, function: { name: 'weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } };

describe('toToolSettings', () => {
  it('passes definitions through, with an empty argument object for a tool without parameters', () => {
    const settings = toToolSettings({ tools: [weather, { type: 'function', function: { name: 'now' } }], tool_choice: { type: 'function', function: { name: 'now' } } });
    expect(settings).toEqual({
      tools: [
        { name: 'weather', description: 'Weather now', parameters: weather.function.parameters, strict: true },
        { name: 'now', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { toolName: 'now' },
    });
    expect(toToolSettings({ tools: [weather], tool_choice: 'required' }).toolChoice).toBe('required');
    expect(toToolSettings({})).toEqual({});
  });

  it('refuses duplicate names, a tool choice naming no tool, and required without tools', () => {
    expect(codeOf(() => toToolSettings({ tools: [weather, weather] }))).toBe('duplicate_tool_name');
    expect(codeOf(() => toToolSettings({ tools: [weather], tool_choice: { type: 'function', function: { name: 'other' } } }))).toBe('unknown_tool');
    expect(codeOf(() => toToolSettings({ tool_choice: 'required' }))).toBe('invalid_tool_choice');
  });
});
