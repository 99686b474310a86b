/**
 * Budget forcing on the embedded model, on tiny random-weight GGUFs written here. Mechanics only:
 * that the thinking stops at the budget and the answer follows, that an early end of thinking is
 * replaced with "Wait" as many times as asked (and the model continues the same thought), and how
 * the tokens of thinking and answer are counted. A chat format with thought segments makes even
 * random weights think; a logit bias on `</think>` makes a model that ends its thinking at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { generateText } from 'ai';
import { getLlama, LlamaChat, QwenChatWrapper, type ChatHistoryItem, type ChatWrapperSettings, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeRandomLlamaGguf } from './testing/gguf-writer.js';
import { LlamaLanguageModel } from './llama-language-model.js';

/** Qwen 3.5's format (a thought opened at the start of each answer), its thought ended by a plain `</think>`. */
class PlainEndThinkingChatWrapper extends QwenChatWrapper {
  constructor() {
    super({ variation: '3.5', thoughts: 'auto' });
    const { segments } = this.settings;
    if (segments?.thought === undefined) throw new Error("Qwen 3.5's format should have a thought segment");
    (this as { settings: ChatWrapperSettings }).settings = { ...this.settings, segments: { ...segments, thought: { ...segments.thought, suffix: '</think>' } } };
  }
}

let directory: string;
/** Random weights (the writer's default preferences for JSON closers): it thinks until stopped. */
let thinkerFile: LlamaModel;
/** Random weights that prefer `</think>` above all: it ends every thought at once. */
let quitterFile: LlamaModel;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-budget-forcing-'));
  const llama = await getLlama({ gpu: false });
  const thinkerPath = join(directory, 'thinker.gguf');
  const quitterPath = join(directory, 'quitter.gguf');
  await writeRandomLlamaGguf(thinkerPath, { seed: 11 });
  await writeRandomLlamaGguf(quitterPath, { seed: 11, extraTokens: ['</think>'], logitBiasByText: { '</think>': 40 } });
  thinkerFile = await llama.loadModel({ modelPath: thinkerPath });
  quitterFile = await llama.loadModel({ modelPath: quitterPath });
});

afterAll(async () => {
  await thinkerFile?.dispose();
  await quitterFile?.dispose();
  await rm(directory, { recursive: true, force: true });
});

function languageModel(file: LlamaModel): LlamaLanguageModel {
  return new LlamaLanguageModel({ modelId: 'forced', model: file, contextSize: 512, threads: 1, chatWrapper: new PlainEndThinkingChatWrapper() });
}

const prompt: LanguageModelV3Prompt = [{ role: 'user', content: [{ type: 'text', text: 'Think, then answer.' }] }];

function forcingReport(providerMetadata: unknown): unknown {
  return (providerMetadata as { sleeptime?: { budgetForcing?: unknown } } | undefined)?.sleeptime?.budgetForcing;
}

describe('budget forcing on a llama model (random weights)', () => {
  it('cap: the thinking stops at the budget, the answer follows, and both are counted', async () => {
    const model = languageModel(thinkerFile);
    try {
      const result = await model.doGenerate({ prompt, maxOutputTokens: 20, providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 6 } } } });
      expect(result.content.map((part) => part.type)).toEqual(['reasoning', 'text']);
      expect(result.usage.outputTokens).toEqual({ total: 20, text: 14, reasoning: 6 });
      expect(forcingReport(result.providerMetadata)).toEqual({ mode: 'cap', thinkingTokens: 6, thoughtTokens: 6, waits: 0, thinkingEndedBy: 'budget' });
    } finally {
      await model.dispose();
    }
  });

  it('extend: a model that thinks on never needs a "Wait"; the budget still caps it', async () => {
    const model = languageModel(thinkerFile);
    try {
      const result = await model.doGenerate({
        prompt,
        maxOutputTokens: 16,
        providerOptions: { llama: { budgetForcing: { mode: 'extend', thinkingTokens: 5, waits: 3 } } },
      });
      expect(result.usage.outputTokens).toEqual({ total: 16, text: 11, reasoning: 5 });
      expect(forcingReport(result.providerMetadata)).toMatchObject({ thoughtTokens: 5, waits: 0, thinkingEndedBy: 'budget' });
    } finally {
      await model.dispose();
    }
  });

  it('extend: an early end of thinking becomes "Wait" and the same thought goes on, as many times as asked', async () => {
    const model = languageModel(quitterFile);
    const generateResponse = vi.spyOn(LlamaChat.prototype, 'generateResponse');
    try {
      const result = await model.doGenerate({
        prompt,
        maxOutputTokens: 12,
        providerOptions: { llama: { budgetForcing: { mode: 'extend', thinkingTokens: 64, waits: 2 } } },
      });
      // Three phases: ended, "Wait"; ended, "Wait"; ended, and the answer follows.
      const histories = generateResponse.mock.calls.map(([history]) => history);
      expect(histories).toHaveLength(3);
      expect(lastModelResponse(histories[1])).toEqual([{ type: 'segment', segmentType: 'thought', text: 'Wait', ended: false }]);
      expect(lastModelResponse(histories[2])).toEqual([{ type: 'segment', segmentType: 'thought', text: 'Wait\nWait', ended: false }]);

      expect(result.content[0]).toEqual({ type: 'reasoning', text: 'Wait\nWait' });
      expect(result.content[1]).toMatchObject({ type: 'text' });
      expect(forcingReport(result.providerMetadata)).toEqual({ mode: 'extend', thinkingTokens: 64, thoughtTokens: 0, waits: 2, thinkingEndedBy: 'model' });
      // Sampled tokens only, over every phase and within the output limit: the "Wait"s are prompt, not output.
      const { outputTokens } = result.usage;
      expect(outputTokens.total).toBe(12);
      expect(outputTokens.reasoning).toBe(0);
      expect(outputTokens.text).toBe(12);
    } finally {
      generateResponse.mockRestore();
      await model.dispose();
    }
  });

  it('cap: the same quick model ends its thinking itself and answers at once, no "Wait"', async () => {
    const model = languageModel(quitterFile);
    try {
      const result = await model.doGenerate({ prompt, maxOutputTokens: 6, providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 64 } } } });
      expect(result.content.some((part) => part.type === 'reasoning' && part.text.includes('Wait'))).toBe(false);
      expect(forcingReport(result.providerMetadata)).toMatchObject({ waits: 0, thinkingEndedBy: 'model' });
    } finally {
      await model.dispose();
    }
  });

  it('streams the inserted "Wait"s as reasoning, before the answer', async () => {
    const model = languageModel(quitterFile);
    try {
      const { stream } = await model.doStream({ prompt, maxOutputTokens: 6, providerOptions: { llama: { budgetForcing: { mode: 'extend', thinkingTokens: 64, waits: 2 } } } });
      const parts: LanguageModelV3StreamPart[] = [];
      for await (const part of stream) parts.push(part);
      const reasoning = parts.flatMap((part) => (part.type === 'reasoning-delta' ? [part.delta] : [])).join('');
      expect(reasoning).toBe('Wait\nWait');
      const types = parts.map((part) => part.type);
      expect(types.lastIndexOf('reasoning-end')).toBeLessThan(types.indexOf('text-start'));
    } finally {
      await model.dispose();
    }
  });

  it('through the AI SDK: the reasoning tokens are the sampled thought tokens', async () => {
    const model = languageModel(thinkerFile);
    try {
      const result = await generateText({
        model,
        prompt: 'Think, then answer.',
        maxOutputTokens: 10,
        providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 4 } } },
        maxRetries: 0,
      });
      expect(result.usage.outputTokenDetails.reasoningTokens).toBe(4);
      expect(result.usage.outputTokens).toBe(10);
    } finally {
      await model.dispose();
    }
  });

  it('refuses a model whose chat format has no thought segments, and calls with tools', async () => {
    const plain = new LlamaLanguageModel({ modelId: 'plain', model: thinkerFile, contextSize: 512, threads: 1 });
    const forced = languageModel(thinkerFile);
    try {
      await expect(
        plain.doGenerate({ prompt, maxOutputTokens: 4, providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 4 } } } }),
      ).rejects.toMatchObject({ code: 'budget_forcing_unsupported', category: 'user', message: expect.stringMatching(/thought segments/) });
      await expect(
        forced.doGenerate({
          prompt,
          tools: [{ type: 'function', name: 'look', inputSchema: { type: 'object', properties: {} } }],
          toolChoice: { type: 'required' },
          providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 4 } } },
        }),
      ).rejects.toMatchObject({ code: 'budget_forcing_unsupported', category: 'user' });
      await expect(
        forced.doGenerate({ prompt, providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 4 }, thoughtTokens: 4 } } }),
      ).rejects.toMatchObject({ code: 'invalid_provider_options' });
    } finally {
      await plain.dispose();
      await forced.dispose();
    }
  });
});

function lastModelResponse(history: ChatHistoryItem[] | undefined): unknown {
  const last = history?.at(-1);
  return last?.type === 'model' ? last.response : undefined;
}
