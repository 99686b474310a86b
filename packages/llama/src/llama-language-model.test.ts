/**
 * The llama language model end to end on a tiny random-weight GGUF written by the test itself.
 *
 * Random weights: these tests check the plumbing (prompt rendering, grammars, tool calls, usage,
 * streaming, aborts, queueing), not answer quality. The model's text is noise; only its shape
 * (valid JSON, valid tool calls, token counts) is asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3FunctionTool,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { getLlama, QwenChatWrapper, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SleeptimeError } from '@sleeptime/core';
import { writeRandomLlamaGguf } from './testing/gguf-writer.js';
import { createLlamaModel, type LlamaModelHandle } from './index.js';
import { LlamaLanguageModel } from './llama-language-model.js';

let directory: string;
let handle: LlamaModelHandle;
let model: LanguageModelV3;
/** The same file loaded separately, to count tokens independently of the provider. */
let tokenizerModel: LlamaModel;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-llama-'));
  const path = join(directory, 'random.gguf');
  await writeRandomLlamaGguf(path, { seed: 11 });
  handle = await createLlamaModel({ source: path, cacheDir: join(directory, 'cache'), contextSize: 2048 });
  model = handle.languageModel;
  tokenizerModel = await (await getLlama({ gpu: false })).loadModel({ modelPath: path });
});

afterAll(async () => {
  await handle?.close();
  await tokenizerModel?.dispose();
  await rm(directory, { recursive: true, force: true });
});

function userPrompt(text: string, system?: string): LanguageModelV3Prompt {
  return [
    ...(system === undefined ? [] : [{ role: 'system' as const, content: system }]),
    { role: 'user', content: [{ type: 'text', text }] },
  ];
}

/** The ChatML prompt as the file's template renders it, tokenized by a separately loaded copy of the model. */
function chatMlTokenCount(turns: Array<[role: string, text: string]>): number {
  const rendered = '<s>' + turns.map(([role, text]) => `<|im_start|>${role}\n${text}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';
  return tokenizerModel.tokenize(rendered, true).length;
}

async function collect(stream: ReadableStream<LanguageModelV3StreamPart>): Promise<LanguageModelV3StreamPart[]> {
  const parts: LanguageModelV3StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const memoryArguments = z.strictObject({
  new_memory: z.string(),
  importance: z.number().int().min(1).max(5),
  tags: z.array(z.string()).max(3),
  mode: z.enum(['append', 'replace']),
  note: z.string().nullable(),
});

const memoryTools: LanguageModelV3FunctionTool[] = [
  {
    type: 'function',
    name: 'rethink_memory',
    description: 'Rewrite the memory block in full.',
    inputSchema: z.toJSONSchema(memoryArguments, { target: 'draft-7' }) as LanguageModelV3FunctionTool['inputSchema'],
  },
  {
    type: 'function',
    name: 'finish_rethinking',
    description: 'Stop rethinking.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
];

describe('LlamaLanguageModel on a random-weight GGUF', () => {
  it('generates text, counts the rendered prompt as input and stops at maxOutputTokens', async () => {
    const result = await model.doGenerate({ prompt: userPrompt('Hello there', 'Be brief.'), maxOutputTokens: 12 });

    expect(result.usage.inputTokens.total).toBe(chatMlTokenCount([['system', 'Be brief.'], ['user', 'Hello there']]));
    expect(result.finishReason).toEqual({ unified: 'length', raw: 'maxTokens' });
    expect(result.usage.outputTokens.total).toBe(12);
    expect(result.usage.outputTokens.reasoning).toBe(0);
    expect(result.content).toHaveLength(1);
    const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
    expect(text.length).toBeGreaterThan(0);
    expect(tokenizerModel.tokenize(text).length).toBeLessThanOrEqual(12);
    expect(result.warnings).toEqual([]);
  });

  it('ends at a stop sequence with finish reason stop and leaves the sequence out of the text', async () => {
    // Seeded sampling repeats itself, so the second call writes the same text up to the stop sequence.
    // Without a repeat penalty: node-llama-cpp leaves the tokens it holds back (a possible stop sequence) out of the penalty.
    const settings = { prompt: userPrompt('Count'), maxOutputTokens: 30, temperature: 1, seed: 3, providerOptions: { llama: { repeatPenalty: false as const } } };
    const free = await model.doGenerate(settings);
    const freeText = free.content[0]?.type === 'text' ? free.content[0].text : '';
    // A stop sequence from that text whose first occurrence is not at the very start.
    const stopIndex = [...freeText].findIndex((_, index) => index >= 2 && freeText.indexOf(freeText.slice(index, index + 2)) === index);
    expect(stopIndex).toBeGreaterThan(1);
    const stopSequence = freeText.slice(stopIndex, stopIndex + 2);

    const stopped = await model.doGenerate({ ...settings, stopSequences: [stopSequence] });
    const stoppedText = stopped.content[0]?.type === 'text' ? stopped.content[0].text : '';
    expect(stopped.finishReason).toEqual({ unified: 'stop', raw: 'customStopTrigger' });
    expect(stoppedText).toBe(freeText.slice(0, stopIndex));
    expect(stopped.usage.outputTokens.total).toBeLessThan(30);
  });

  it('forces one valid tool call whose arguments match the schema, for several seeds', async () => {
    const toolCallIds = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5]) {
      const result = await model.doGenerate({
        prompt: userPrompt('Update the memory.', 'You maintain a memory block.'),
        tools: memoryTools,
        toolChoice: { type: 'required' },
        temperature: 1,
        seed,
        maxOutputTokens: 400,
      });
      const calls = result.content.filter((part) => part.type === 'tool-call');
      expect(calls, `seed ${seed}`).toHaveLength(1);
      expect(result.content.filter((part) => part.type === 'text')).toEqual([]);
      expect(result.finishReason.unified).toBe('tool-calls');
      const call = calls[0]!;
      expect(['rethink_memory', 'finish_rethinking']).toContain(call.toolName);
      const input: unknown = JSON.parse(call.input);
      if (call.toolName === 'rethink_memory') expect(memoryArguments.safeParse(input).success, call.input).toBe(true);
      else expect(input).toEqual({});
      toolCallIds.add(call.toolCallId);
      // The tool descriptions were added to the prompt the model read.
      expect(result.usage.inputTokens.total).toBeGreaterThan(chatMlTokenCount([['system', 'You maintain a memory block.'], ['user', 'Update the memory.']]) + 100);
    }
    expect(toolCallIds.size).toBe(5);
  });

  it('calls the named tool when the tool choice names one', async () => {
    const result = await model.doGenerate({
      prompt: userPrompt('Done?'),
      tools: memoryTools,
      toolChoice: { type: 'tool', toolName: 'finish_rethinking' },
    });
    expect(result.content).toEqual([expect.objectContaining({ type: 'tool-call', toolName: 'finish_rethinking', input: '{}' })]);
    await expect(
      model.doGenerate({ prompt: userPrompt('x'), tools: memoryTools, toolChoice: { type: 'tool', toolName: 'missing' } }),
    ).rejects.toMatchObject({ code: 'unknown_tool', category: 'user' });
  });

  it('answers a JSON response format with JSON that matches the schema', async () => {
    const answer = z.strictObject({ answer: z.number().int(), unit: z.enum(['apples', 'pears']), done: z.boolean() });
    for (const seed of [1, 2]) {
      const result = await model.doGenerate({
        prompt: userPrompt('How many apples?'),
        responseFormat: { type: 'json', schema: z.toJSONSchema(answer, { target: 'draft-7' }) as never },
        temperature: 1,
        seed,
        maxOutputTokens: 200,
      });
      const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
      expect(answer.safeParse(JSON.parse(text)).success, text).toBe(true);
      expect(result.finishReason.unified).toBe('stop');
    }
  });

  it('streams text deltas in order and ends with a finish part carrying the usage', async () => {
    const { stream } = await model.doStream({ prompt: userPrompt('Stream please'), maxOutputTokens: 10 });
    const parts = await collect(stream);
    const types = parts.map((part) => part.type);

    expect(types[0]).toBe('stream-start');
    expect(types.at(-1)).toBe('finish');
    const textStart = types.indexOf('text-start');
    const textEnd = types.indexOf('text-end');
    expect(textStart).toBeGreaterThan(0);
    expect(textEnd).toBe(types.length - 2);
    expect(types.slice(textStart + 1, textEnd).every((type) => type === 'text-delta')).toBe(true);
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(new Set(deltas.map((part) => part.id))).toEqual(new Set([(parts[textStart] as { id: string }).id]));

    const finish = parts.at(-1) as Extract<LanguageModelV3StreamPart, { type: 'finish' }>;
    expect(finish.finishReason.unified).toBe('length');
    expect(finish.usage.inputTokens.total).toBe(chatMlTokenCount([['user', 'Stream please']]));
    expect(finish.usage.outputTokens.total).toBe(10);
    const streamedText = deltas.map((part) => part.delta).join('');
    expect(tokenizerModel.tokenize(streamedText).length).toBeLessThanOrEqual(10);
  });

  it('streams a forced tool call as a tool-call part, without text deltas', async () => {
    const { stream } = await model.doStream({
      prompt: userPrompt('Update the memory.'),
      tools: memoryTools,
      toolChoice: { type: 'required' },
      temperature: 1,
      seed: 9,
    });
    const parts = await collect(stream);
    expect(parts.some((part) => part.type === 'text-delta')).toBe(false);
    const calls = parts.filter((part) => part.type === 'tool-call');
    expect(calls).toHaveLength(1);
    expect(() => JSON.parse(calls[0]!.input)).not.toThrow();
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: { unified: 'tool-calls' } });
  });

  it('runs a three-step AI SDK tool loop whose total usage is the sum of the calls', async () => {
    const usages: LanguageModelV3Usage[] = [];
    const recording: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: model.provider,
      modelId: model.modelId,
      supportedUrls: {},
      doGenerate: async (options: LanguageModelV3CallOptions) => {
        const result = await model.doGenerate(options);
        usages.push(result.usage);
        return result;
      },
      doStream: (options: LanguageModelV3CallOptions) => model.doStream(options),
    };
    const executed: unknown[] = [];
    const result = await generateText({
      model: recording,
      system: 'You maintain a memory block.',
      prompt: 'Think about the context: 3 apples cost 6 dollars.',
      tools: {
        rethink_memory: tool({
          description: 'Rewrite the memory block in full.',
          inputSchema: memoryArguments,
          execute: async (input) => {
            executed.push(input);
            return 'Memory updated.';
          },
        }),
        finish_rethinking: tool({
          description: 'Stop rethinking.',
          inputSchema: jsonSchema<Record<string, never>>({ type: 'object', properties: {}, additionalProperties: false }),
          execute: async (input) => {
            executed.push(input);
            return 'Done.';
          },
        }),
      },
      toolChoice: 'required',
      stopWhen: stepCountIs(3),
      temperature: 1,
      seed: 4,
      maxRetries: 0,
    });

    expect(result.steps).toHaveLength(3);
    expect(usages).toHaveLength(3);
    expect(executed).toHaveLength(3);
    for (const step of result.steps) {
      expect(step.toolCalls).toHaveLength(1);
      expect(step.toolCalls[0]).not.toHaveProperty('invalid', true);
      expect(step.toolResults).toHaveLength(1);
    }
    // Each step's prompt holds the calls and results before it, so it is longer.
    const inputs = usages.map((usage) => usage.inputTokens.total ?? 0);
    expect(inputs[1]).toBeGreaterThan(inputs[0]!);
    expect(inputs[2]).toBeGreaterThan(inputs[1]!);
    const sum = (values: Array<number | undefined>) => values.reduce<number>((total, value) => total + (value ?? 0), 0);
    expect(result.totalUsage.inputTokens).toBe(sum(inputs));
    expect(result.totalUsage.outputTokens).toBe(sum(usages.map((usage) => usage.outputTokens.total)));
    expect(result.totalUsage.outputTokens).toBeGreaterThan(0);
    expect(result.totalUsage.reasoningTokens).toBe(0);
  });

  it('with tool choice auto documents the tools and returns text or valid tool calls', async () => {
    const prompt = userPrompt('Hi');
    const plain = await model.doGenerate({ prompt, maxOutputTokens: 15 });
    const auto = await model.doGenerate({ prompt, tools: memoryTools, toolChoice: { type: 'auto' }, maxOutputTokens: 15 });
    expect(auto.usage.inputTokens.total).toBeGreaterThan(plain.usage.inputTokens.total! + 50);
    expect(auto.usage.outputTokens.total).toBeLessThanOrEqual(15);
    for (const part of auto.content) {
      expect(['text', 'tool-call']).toContain(part.type);
      if (part.type === 'tool-call') expect(() => JSON.parse(part.input)).not.toThrow();
    }
    const none = await model.doGenerate({ prompt, tools: memoryTools, toolChoice: { type: 'none' }, maxOutputTokens: 15 });
    expect(none.usage.inputTokens.total).toBe(plain.usage.inputTokens.total);
  });

  it('continues the model turn after tool results in the prompt', async () => {
    const prompt: LanguageModelV3Prompt = [
      ...userPrompt('Look it up.'),
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'finish_rethinking', input: {} }] },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 'call-1', toolName: 'finish_rethinking', output: { type: 'text', value: 'Done.' } }],
      },
    ];
    const result = await model.doGenerate({ prompt, maxOutputTokens: 5 });
    // The call and its result are rendered into the prompt, after the user's turn.
    expect(result.usage.inputTokens.total).toBeGreaterThan(chatMlTokenCount([['user', 'Look it up.']]) + 10);
    expect(result.usage.outputTokens.total).toBe(5);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(model.doGenerate({ prompt: userPrompt('x'), abortSignal: controller.signal })).rejects.toThrow('stop now');
  });

  it('stops a running generation when the signal aborts and keeps working afterwards', async () => {
    const controller = new AbortController();
    const { stream } = await model.doStream({ prompt: userPrompt('Go on and on'), maxOutputTokens: 1500, abortSignal: controller.signal });
    const reader = stream.getReader();
    const seen: string[] = [];
    let failure: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        seen.push(value.type);
        if (value.type === 'text-delta' && seen.filter((type) => type === 'text-delta').length === 3) controller.abort();
      }
    } catch (error) {
      failure = error;
    }
    expect((failure as Error | undefined)?.name).toBe('AbortError');
    expect(seen).not.toContain('finish');
    expect(seen.filter((type) => type === 'text-delta').length).toBeLessThan(200);

    const after = await model.doGenerate({ prompt: userPrompt('Again'), maxOutputTokens: 3 });
    expect(after.usage.outputTokens.total).toBe(3);
  });

  it('runs concurrent calls one at a time with correct usage each, and drops a queued call whose signal aborts', async () => {
    const texts = ['First question', 'Second, longer question here', 'Third'];
    const waiting = new AbortController();
    const queuedAndAborted = model.doGenerate({ prompt: userPrompt('never runs'), maxOutputTokens: 5, abortSignal: waiting.signal });
    const running = texts.map((text) => model.doGenerate({ prompt: userPrompt(text), maxOutputTokens: 40 }));
    waiting.abort(new Error('no longer needed'));
    // The first call was queued before the others; being aborted it gives way at once.
    await expect(queuedAndAborted).rejects.toThrow('no longer needed');
    const results = await Promise.all(running);
    results.forEach((result, index) => {
      expect(result.usage.inputTokens.total).toBe(chatMlTokenCount([['user', texts[index]!]]));
      expect(result.usage.outputTokens.total).toBe(40);
    });
  });

  it('fills a nearly full context up to its end, and refuses a prompt that does not fit instead of cutting it', async () => {
    // 256: node-llama-cpp rounds context sizes up to a multiple of 256.
    const small = new LlamaLanguageModel({ modelId: 'small', model: tokenizerModel, contextSize: 256 });
    try {
      const nearlyFull = userPrompt('w'.repeat(200));
      const promptTokens = chatMlTokenCount([['user', 'w'.repeat(200)]]);
      expect(promptTokens).toBeGreaterThan(200);
      const filled = await small.doGenerate({ prompt: nearlyFull });
      expect(filled.usage.inputTokens.total).toBe(promptTokens);
      // Output stops where the context ends (16 cells stay free), not after a context shift.
      expect(filled.usage.outputTokens.total).toBe(256 - 16 - promptTokens);
      expect(filled.finishReason.unified).toBe('length');

      const failure = await small.doGenerate({ prompt: userPrompt('word '.repeat(60)) }).catch((error: unknown) => error);
      expect(SleeptimeError.isInstance(failure)).toBe(true);
      expect(failure).toMatchObject({ code: 'context_overflow', category: 'user' });
    } finally {
      await small.dispose();
    }
  });

  it('rejects malformed llama provider options with a typed error', async () => {
    await expect(
      model.doGenerate({ prompt: userPrompt('x'), providerOptions: { llama: { thoughtTokens: -1 } } }),
    ).rejects.toMatchObject({ code: 'invalid_provider_options', category: 'user' });
  });
});

describe('LlamaLanguageModel thought budget (random weights, a chat format that opens a thought first)', () => {
  let thinking: LlamaLanguageModel;

  beforeAll(() => {
    // Qwen 3.5's format opens a thought segment at the start of each answer, so even random weights think.
    thinking = new LlamaLanguageModel({
      modelId: 'thinking',
      model: tokenizerModel,
      contextSize: 512,
      chatWrapper: new QwenChatWrapper({ variation: '3.5', thoughts: 'auto' }),
    });
  });

  afterAll(async () => {
    await thinking?.dispose();
  });

  it('caps thought tokens at providerOptions.llama.thoughtTokens and reports them as reasoning', async () => {
    const result = await thinking.doGenerate({
      prompt: userPrompt('Think a little'),
      maxOutputTokens: 20,
      providerOptions: { llama: { thoughtTokens: 5 } },
    });
    expect(result.usage.outputTokens).toEqual({ total: 20, text: 15, reasoning: 5 });
    expect(result.content.map((part) => part.type)).toEqual(['reasoning', 'text']);
  });

  it('maps reasoningEffort to a thought budget and the AI SDK reports the reasoning tokens', async () => {
    const result = await generateText({
      model: thinking,
      prompt: 'Think hard',
      maxOutputTokens: 12,
      providerOptions: { llama: { reasoningEffort: 'low' } },
      maxRetries: 0,
    });
    // The low budget (1,024) is above the output limit, so every token is a thought.
    expect(result.totalUsage.reasoningTokens).toBe(12);
    expect(result.totalUsage.outputTokens).toBe(12);
    expect(result.reasoningText?.length).toBeGreaterThan(0);
  });

  it('streams thoughts as reasoning parts before the text', async () => {
    const { stream } = await thinking.doStream({
      prompt: userPrompt('Think'),
      maxOutputTokens: 10,
      providerOptions: { llama: { thoughtTokens: 3 } },
    });
    const parts = await collect(stream);
    const types = parts.map((part) => part.type);
    expect(types.indexOf('reasoning-start')).toBeGreaterThan(0);
    expect(types.indexOf('reasoning-end')).toBeLessThan(types.indexOf('text-start'));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', usage: { outputTokens: { reasoning: 3, total: 10 } } });
  });
});
