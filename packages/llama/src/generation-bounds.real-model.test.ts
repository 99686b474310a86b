/**
 * The generation limits on a real instruct model (the real-model tier, see
 * `@sleeptime/core/testing`): mechanics and bounds, never accuracy. Greedy sampling keeps each
 * call's output the same from run to run; only its speed varies.
 */
import { tmpdir } from 'node:os';
import type { LanguageModelV3, LanguageModelV3FunctionTool, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRealModel } from '@sleeptime/core/testing';
import { createLlamaModel, type LlamaModelHandle } from './index.js';

/** The model is asked a question and has already begun its answer by repeating one line: models go on repeating it. */
const REPEATING_PROMPT: LanguageModelV3Prompt = [
  { role: 'user', content: [{ type: 'text', text: 'How much change does Ana get?' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'The answer is 2.\nThe answer is 2.\nThe answer is 2.\n' }] },
];

const memoryTool: LanguageModelV3FunctionTool = {
  type: 'function',
  name: 'rethink_memory',
  description: 'Rewrite the memory block in full.',
  inputSchema: { type: 'object', properties: { new_memory: { type: 'string' } }, required: ['new_memory'], additionalProperties: false },
};

// Slow on a busy 2-core machine (a few tokens a second); the limits under test keep each call short.
const CALL_TIMEOUT_MS = 240_000;

describeWithRealModel('generation limits on a real model', { describe, it }, (realModel) => {
  let handle: LlamaModelHandle;
  let model: LanguageModelV3;

  beforeAll(async () => {
    handle = await createLlamaModel({ source: realModel.path, cacheDir: tmpdir(), contextSize: 2048 });
    model = handle.languageModel;
  });

  afterAll(async () => {
    await handle?.close();
  });

  it(
    'a prompt that repeats itself ends bounded: the default penalty breaks the loop, and without it the loop detector cuts it',
    async () => {
      const byDefault = await model.doGenerate({ prompt: REPEATING_PROMPT, maxOutputTokens: 400 });
      expect(byDefault.finishReason.raw).not.toBe('maxTokens');
      expect(byDefault.usage.outputTokens.total).toBeLessThan(200);

      const withoutPenalty = await model.doGenerate({ prompt: REPEATING_PROMPT, maxOutputTokens: 400, providerOptions: { llama: { repeatPenalty: false } } });
      expect(withoutPenalty.finishReason).toEqual({ unified: 'length', raw: 'repetition' });
      expect(withoutPenalty.usage.outputTokens.total).toBeLessThan(200);
      const text = withoutPenalty.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      expect(text).toContain('The answer is 2.\nThe answer is 2.\nThe answer is 2.\nThe answer is 2.\n');
    },
    2 * CALL_TIMEOUT_MS,
  );

  it(
    'the time limit ends a loop that nothing else stops, keeping what was written',
    async () => {
      const result = await model.doGenerate({
        prompt: REPEATING_PROMPT,
        maxOutputTokens: 1500,
        providerOptions: { llama: { repeatPenalty: false, stopOnLoop: false, callTimeLimitMs: 1500 } },
      });
      expect(result.finishReason).toEqual({ unified: 'length', raw: 'time-limit' });
      expect(result.usage.outputTokens.total).toBeLessThan(1500);
    },
    CALL_TIMEOUT_MS,
  );

  it(
    'a forced tool call is still a valid call under the default repeat penalty',
    async () => {
      const result = await model.doGenerate({
        prompt: [
          { role: 'system', content: 'Context: Ana has 20 dollars. She buys 3 notebooks at 4 dollars each and a pen for 2 dollars.' },
          { role: 'user', content: [{ type: 'text', text: 'Rewrite the memory with what you can infer from the context.' }] },
        ],
        tools: [memoryTool],
        toolChoice: { type: 'tool', toolName: 'rethink_memory' },
        maxOutputTokens: 300,
      });
      expect(result.finishReason.unified).toBe('tool-calls');
      const call = result.content.find((part) => part.type === 'tool-call');
      expect(JSON.parse(call?.type === 'tool-call' ? call.input : 'null')).toEqual({ new_memory: expect.any(String) });
    },
    CALL_TIMEOUT_MS,
  );
});
