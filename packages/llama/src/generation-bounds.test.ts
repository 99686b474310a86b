/**
 * The limits on one local generation, end to end on random-weight GGUFs written by the test: the
 * wall-clock limit, the loop detector and the repeat penalty, in every output mode. A logit bias
 * makes one model loop for sure (it says "The answer is 2. " over and over and never ends on its own).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3FunctionTool, LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';
import { writeRandomLlamaGguf } from './testing/gguf-writer.js';
import { createLlamaModel, DEFAULT_LOOP_DETECTION, type LlamaModelHandle } from './index.js';

const LOOP = 'The answer is 2. ';
const CONTEXT_SIZE = 4096;

let directory: string;
/** Loops for sure: its logits favour LOOP and never the end of its turn. */
let looping: LlamaModelHandle;
/** The same file, with a model-wide time limit. */
let loopingWithTimeLimit: LlamaModelHandle;
/** Plain random weights (the default bias towards JSON closers). */
let random: LlamaModelHandle;
/** Starts a native tool call at once (ChatML's `||call: ` syntax) and loops inside its arguments. */
let callingInALoop: LlamaModelHandle;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-bounds-'));
  const loopingPath = join(directory, 'looping.gguf');
  await writeRandomLlamaGguf(loopingPath, { seed: 3, extraTokens: [LOOP], logitBiasByText: { [LOOP]: 12, '</s>': -30, '<|im_end|>': -30 } });
  const randomPath = join(directory, 'random.gguf');
  await writeRandomLlamaGguf(randomPath, { seed: 11 });
  const cacheDir = join(directory, 'cache');
  looping = await createLlamaModel({ source: loopingPath, cacheDir, contextSize: CONTEXT_SIZE });
  loopingWithTimeLimit = await createLlamaModel({ source: loopingPath, cacheDir, contextSize: CONTEXT_SIZE, callTimeLimitMs: 200 });
  random = await createLlamaModel({ source: randomPath, cacheDir, contextSize: 2048 });
  const callingPath = join(directory, 'calling.gguf');
  await writeRandomLlamaGguf(callingPath, { seed: 3, extraTokens: ['||call: '], logitBiasByText: { '||call: ': 14, '</s>': -30, '<|im_end|>': -30 } });
  callingInALoop = await createLlamaModel({ source: callingPath, cacheDir, contextSize: CONTEXT_SIZE });
});

afterAll(async () => {
  await looping?.close();
  await loopingWithTimeLimit?.close();
  await random?.close();
  await callingInALoop?.close();
  await rm(directory, { recursive: true, force: true });
});

function userPrompt(text: string): LanguageModelV3Prompt {
  return [{ role: 'user', content: [{ type: 'text', text }] }];
}

function textOf(result: { content: Array<{ type: string; text?: string }> }): string {
  return result.content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

async function collect(stream: ReadableStream<LanguageModelV3StreamPart>): Promise<LanguageModelV3StreamPart[]> {
  const parts: LanguageModelV3StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const memoryTool: LanguageModelV3FunctionTool = {
  type: 'function',
  name: 'rethink_memory',
  description: 'Rewrite the memory block in full.',
  inputSchema: { type: 'object', properties: { new_memory: { type: 'string' } }, required: ['new_memory'], additionalProperties: false },
};

/** Many more tokens than a loop needs to be noticed: a call that ends below this was cut. */
const PLENTY = 3000;

describe('the loop detector on a model that loops', () => {
  const modes: Array<[string, Partial<LanguageModelV3CallOptions>]> = [
    ['text', {}],
    ['json', { responseFormat: { type: 'json', schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } } }],
    ['a forced tool call', { tools: [memoryTool], toolChoice: { type: 'tool', toolName: 'rethink_memory' } }],
    ['native tools', { tools: [memoryTool], toolChoice: { type: 'auto' } }],
  ];

  it.each(modes)('cuts the loop in %s output, keeps the text and says why', async (_, options) => {
    const result = await looping.languageModel.doGenerate({ prompt: userPrompt('How much?'), maxOutputTokens: PLENTY, ...options });
    expect(result.finishReason).toEqual({ unified: 'length', raw: 'repetition' });
    const text = textOf(result);
    expect(text).toContain(LOOP.repeat(DEFAULT_LOOP_DETECTION.minRepeats));
    // A few hundred characters of loop, not thousands of tokens.
    expect(text.length).toBeLessThan(DEFAULT_LOOP_DETECTION.minLoopChars + 3 * LOOP.length + 40);
    // The byte-level vocabulary spells a tool call's JSON frame in a few dozen tokens before the loop starts.
    expect(result.usage.outputTokens.total).toBeLessThan(120);
    expect(result.providerMetadata?.llama?.loop).toEqual({ span: expect.any(String), repeats: expect.any(Number) });
  });

  it("cuts a loop inside a native tool call's arguments (the unfinished call is dropped)", async () => {
    const { stream } = await callingInALoop.languageModel.doStream({
      prompt: userPrompt('How much?'),
      tools: [memoryTool],
      toolChoice: { type: 'auto' },
      maxOutputTokens: PLENTY,
    });
    const parts = await collect(stream);
    // Nothing reached the text: the loop was seen in the call's arguments, `"new_memory": "||call: ||call: ...`.
    expect(parts.filter((part) => part.type === 'text-delta' || part.type === 'tool-call')).toEqual([]);
    const finish = parts.at(-1);
    expect(finish).toMatchObject({ type: 'finish', finishReason: { unified: 'length', raw: 'repetition' } });
    expect(finish?.type === 'finish' ? finish.providerMetadata?.llama?.loop : undefined).toMatchObject({ span: '||call: ' });
    expect(finish?.type === 'finish' ? finish.usage.outputTokens.total : PLENTY).toBeLessThan(120);
  });

  it('cuts a streamed loop too: the text streamed, then a finish part that says why', async () => {
    const { stream } = await looping.languageModel.doStream({ prompt: userPrompt('How much?'), maxOutputTokens: PLENTY });
    const parts = await collect(stream);
    const streamed = parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');
    expect(streamed).toContain(LOOP.repeat(DEFAULT_LOOP_DETECTION.minRepeats));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: { unified: 'length', raw: 'repetition' } });
  });

  it('lets the loop run to the token limit when asked not to watch for loops', async () => {
    const result = await looping.languageModel.doGenerate({
      prompt: userPrompt('How much?'),
      maxOutputTokens: 120,
      providerOptions: { llama: { stopOnLoop: false } },
    });
    expect(result.finishReason).toEqual({ unified: 'length', raw: 'maxTokens' });
    expect(result.usage.outputTokens.total).toBe(120);
  });
});

describe('the wall-clock limit per call', () => {
  it('ends a call that would run for thousands of tokens, keeping what it wrote', async () => {
    const result = await looping.languageModel.doGenerate({
      prompt: userPrompt('How much?'),
      maxOutputTokens: CONTEXT_SIZE,
      providerOptions: { llama: { stopOnLoop: false, callTimeLimitMs: 200 } },
    });
    expect(result.finishReason).toEqual({ unified: 'length', raw: 'time-limit' });
    expect(result.usage.outputTokens.total).toBeLessThan(CONTEXT_SIZE - 100);
    expect(textOf(result)).toMatch(/^(The answer is 2\. )*/);
  });

  it('takes its default from createLlamaModel, and a call can lift it', async () => {
    const options = { prompt: userPrompt('How much?'), maxOutputTokens: 300 };
    const limited = await loopingWithTimeLimit.languageModel.doGenerate({ ...options, maxOutputTokens: CONTEXT_SIZE, providerOptions: { llama: { stopOnLoop: false } } });
    expect(limited.finishReason).toEqual({ unified: 'length', raw: 'time-limit' });
    const unlimited = await loopingWithTimeLimit.languageModel.doGenerate({ ...options, providerOptions: { llama: { stopOnLoop: false, callTimeLimitMs: 0 } } });
    expect(unlimited.finishReason).toEqual({ unified: 'length', raw: 'maxTokens' });
    expect(unlimited.usage.outputTokens.total).toBe(300);
  });

  it('ends a call at once when the limit is hit before the first token, with an empty answer', async () => {
    const result = await looping.languageModel.doGenerate({
      prompt: userPrompt('How much? '.repeat(200)),
      maxOutputTokens: PLENTY,
      providerOptions: { llama: { callTimeLimitMs: 1 } },
    });
    expect(result.finishReason).toEqual({ unified: 'length', raw: 'time-limit' });
    expect(result.usage.outputTokens.total).toBeLessThan(5);
  });

  it('ends a streamed call with a finish part that says why', async () => {
    const { stream } = await looping.languageModel.doStream({
      prompt: userPrompt('How much?'),
      maxOutputTokens: CONTEXT_SIZE,
      providerOptions: { llama: { stopOnLoop: false, callTimeLimitMs: 200 } },
    });
    const parts = await collect(stream);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: { unified: 'length', raw: 'time-limit' } });
  });

  it("leaves the caller's abort as it was: the call throws the caller's reason, and the model goes on working", async () => {
    const controller = new AbortController();
    const call = looping.languageModel.doGenerate({
      prompt: userPrompt('How much?'),
      maxOutputTokens: CONTEXT_SIZE,
      abortSignal: controller.signal,
      providerOptions: { llama: { stopOnLoop: false, callTimeLimitMs: 60_000 } },
    });
    setTimeout(() => controller.abort(new Error('the caller hung up')), 100);
    await expect(call).rejects.toThrow('the caller hung up');
    const next = await looping.languageModel.doGenerate({ prompt: userPrompt('How much?'), maxOutputTokens: 5, providerOptions: { llama: { stopOnLoop: false } } });
    expect(next.usage.outputTokens.total).toBe(5);
  });
});

describe('the options', () => {
  it('refuses a negative or fractional time limit in one line', async () => {
    const model: LanguageModelV3 = random.languageModel;
    const failure = await sleeptimeErrorOf(model.doGenerate({ prompt: userPrompt('x'), providerOptions: { llama: { callTimeLimitMs: -1 } } }));
    expect(failure.code).toBe('invalid_provider_options');
    const loadFailure = await sleeptimeErrorOf(createLlamaModel({ source: join(directory, 'random.gguf'), cacheDir: join(directory, 'cache'), callTimeLimitMs: 1.5 }));
    expect(loadFailure).toMatchObject({ code: 'invalid_call_time_limit', category: 'user' });
  });

  it('refuses a repeat penalty below 1 (it would favour repeats)', async () => {
    const failure = await sleeptimeErrorOf(
      random.languageModel.doGenerate({ prompt: userPrompt('x'), providerOptions: { llama: { repeatPenalty: { penalty: 0.5 } } } }),
    );
    expect(failure.code).toBe('invalid_provider_options');
  });

  it('applies the default repeat penalty to every call; false turns it off, like a penalty of 1', async () => {
    const call = (llama: Record<string, unknown>) =>
      random.languageModel.doGenerate({ prompt: userPrompt('Count'), maxOutputTokens: 60, providerOptions: { llama: { stopOnLoop: false, ...llama } } }).then(textOf);
    const byDefault = await call({});
    const off = await call({ repeatPenalty: false });
    expect(off).toBe(await call({ repeatPenalty: { penalty: 1 } }));
    expect(byDefault).toBe(await call({ repeatPenalty: { penalty: 1.1, lastTokens: 64 } }));
    expect(byDefault).not.toBe(off);
  });
});
