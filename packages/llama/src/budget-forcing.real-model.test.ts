/**
 * Budget forcing on a real instruct model (the real-model tier): bounds and mechanics, never
 * accuracy. The test model (SmolLM2-135M-Instruct) does not think in `<think>` segments, so a
 * ChatML format that opens a thought at the start of every answer (Qwen 3.5's, which SmolLM2's
 * ChatML tokens fit) makes it think; whether it ever closes that thought itself is up to the model,
 * so `extend` is checked for its bounds here, and its "Wait" mechanics on random weights
 * (budget-forcing-llama.test.ts). Few tokens: a 2-core machine shared with other work is slow.
 */
import { getLlama, QwenChatWrapper, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRealModel } from '@sleeptime/core/testing';
import { LlamaLanguageModel } from './llama-language-model.js';

const CALL_TIMEOUT_MS = 240_000;

describeWithRealModel('budget forcing on a real model', { describe, it }, (realModel) => {
  let file: LlamaModel;
  let model: LlamaLanguageModel;

  beforeAll(async () => {
    file = await (await getLlama({ gpu: false })).loadModel({ modelPath: realModel.path });
    model = new LlamaLanguageModel({
      modelId: 'real',
      model: file,
      contextSize: 1024,
      threads: 1,
      chatWrapper: new QwenChatWrapper({ variation: '3.5', thoughts: 'auto' }),
    });
  });

  afterAll(async () => {
    await model?.dispose();
    await file?.dispose();
  });

  const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Ana buys 3 apples at 2 dollars each. How much does she pay?' }] }];

  it(
    'cap: the thought ends at the budget, the answer follows, and the tokens add up within the output limit',
    async () => {
      const result = await model.doGenerate({
        prompt,
        maxOutputTokens: 24,
        temperature: 0,
        providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 8 } } },
      });
      const { outputTokens } = result.usage;
      expect(outputTokens.reasoning).toBeLessThanOrEqual(8);
      expect(outputTokens.total).toBeLessThanOrEqual(24);
      expect(outputTokens.text).toBe((outputTokens.total ?? 0) - (outputTokens.reasoning ?? 0));
      expect(result.content[0]?.type).toBe('reasoning');
      const report = (result.providerMetadata?.sleeptime as { budgetForcing?: { thoughtTokens: number; thinkingEndedBy: string } } | undefined)?.budgetForcing;
      expect(report?.thoughtTokens).toBe(outputTokens.reasoning);
      // Either the budget ended the thought and an answer follows, or the model ended it first.
      if (report?.thinkingEndedBy === 'budget') expect(result.content.at(-1)?.type).toBe('text');
    },
    CALL_TIMEOUT_MS,
  );

  it(
    'extend: within the thought budget, the waits asked for and the output limit, whatever the model does',
    async () => {
      const result = await model.doGenerate({
        prompt,
        maxOutputTokens: 24,
        temperature: 0,
        providerOptions: { llama: { budgetForcing: { mode: 'extend', thinkingTokens: 12, waits: 2 } } },
      });
      const report = (result.providerMetadata?.sleeptime as { budgetForcing?: { waits: number; thoughtTokens: number } } | undefined)?.budgetForcing;
      expect(report?.waits).toBeLessThanOrEqual(2);
      expect(report?.thoughtTokens).toBeLessThanOrEqual(12);
      expect(result.usage.outputTokens.total).toBeLessThanOrEqual(24);
      const reasoning = result.content.find((part) => part.type === 'reasoning');
      const waitsInThought = reasoning?.type === 'reasoning' ? (reasoning.text.match(/Wait/g) ?? []).length : 0;
      expect(waitsInThought).toBeGreaterThanOrEqual(report?.waits ?? 0);
    },
    CALL_TIMEOUT_MS,
  );
});
