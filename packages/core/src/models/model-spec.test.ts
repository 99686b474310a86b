import { describe, expect, it } from 'vitest';
import { SleeptimeError } from '../errors.js';
import { parseModelSpec } from './model-spec.js';

function parseError(spec: string): SleeptimeError {
  try {
    parseModelSpec(spec);
  } catch (error) {
    if (SleeptimeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(spec)} to be rejected`);
}

describe('parseModelSpec', () => {
  it.each([
    ['openai:gpt-4o-mini', 'openai', 'gpt-4o-mini'],
    ['anthropic:claude-3-7-sonnet-latest', 'anthropic', 'claude-3-7-sonnet-latest'],
    ['openai-compatible:Qwen/Qwen3-1.7B', 'openai-compatible', 'Qwen/Qwen3-1.7B'],
    ['openai-compatible:llama3.2:1b', 'openai-compatible', 'llama3.2:1b'],
    ['llama:/models/tiny model.gguf', 'llama', '/models/tiny model.gguf'],
    ['llama:./relative/Model.GGUF', 'llama', './relative/Model.GGUF'],
    ['llama:hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M', 'llama', 'hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'],
    ['llama:hf:user/repo/file.gguf', 'llama', 'hf:user/repo/file.gguf'],
    ['llama:huggingface:user/repo/file.gguf', 'llama', 'huggingface:user/repo/file.gguf'],
    ['llama:https://example.org/models/tiny.gguf', 'llama', 'https://example.org/models/tiny.gguf'],
    ['  OpenAI:gpt-4o  ', 'openai', 'gpt-4o'],
  ])('parses %j', (spec, provider, modelId) => {
    expect(parseModelSpec(spec)).toEqual({ provider, modelId });
  });

  it.each([
    ['', 'it is empty'],
    ['   ', 'it is empty'],
    ['gpt-4o', 'no provider prefix'],
    ['ollama:llama3', 'unknown provider "ollama"'],
    [':gpt-4o', 'unknown provider ""'],
    ['openai:', 'no model after the provider'],
    ['anthropic:   ', 'no model after the provider'],
    ['llama:llama3', 'a llama model must be a path to a .gguf file or an hf: URI'],
    ['llama:hf:', 'the hf: URI names no model'],
    ['llama:/models/notes.txt', 'a llama model must be a path to a .gguf file or an hf: URI'],
  ])('rejects %j', (spec, problem) => {
    const error = parseError(spec);
    expect(error.code).toBe('invalid_model_spec');
    expect(error.category).toBe('user');
    expect(error.message).toContain(problem);
    expect(error.message).toContain('expected openai:<model>, anthropic:<model>, openai-compatible:<model> or llama:<path to .gguf | hf:URI>');
    expect(error.message).not.toContain('\n');
  });

  it('keeps the message on one line even when the spec has a newline', () => {
    const error = parseError('open\nai');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('"open\\nai"');
  });
});
