/**
 * The llama path of createModel with a tiny random-weight GGUF written by the test itself. This
 * checks the plumbing (spec -> loader -> retry wrapper -> AI SDK), not answer quality.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import { writeRandomLlamaGguf } from './testing/gguf-writer.js';
import { createModel } from '@sleeptime/core';
import { usageFromReport } from '@sleeptime/core';

let directory: string;
let modelFile: string;
/** Never ends on its own: it says "The answer is 2. " over and over. */
let loopingModelFile: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-models-'));
  modelFile = path.join(directory, 'tiny.gguf');
  await writeRandomLlamaGguf(modelFile);
  loopingModelFile = path.join(directory, 'looping.gguf');
  const loop = 'The answer is 2. ';
  await writeRandomLlamaGguf(loopingModelFile, { seed: 3, extraTokens: [loop], logitBiasByText: { [loop]: 12, '</s>': -30, '<|im_end|>': -30 } });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('createModel: llama', () => {
  it('loads a local GGUF, generates through the retry wrapper, maps budgets and closes', async () => {
    const model = await createModel(`llama:${modelFile}`, { cacheDir: directory, env: {} });
    try {
      expect(model.provider).toBe('llama');
      expect(model.spec).toBe(`llama:${modelFile}`);
      const settings = model.callSettings({ maxOutputTokens: 4, thinkingBudget: 16 });
      expect(settings).toEqual({ maxOutputTokens: 4, providerOptions: { llama: { thoughtTokens: 16 } } });
      const result = await generateText({ model: model.languageModel, prompt: 'Say something.', maxRetries: 0, ...settings });
      const usage = usageFromReport(result.usage);
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeLessThanOrEqual(4);
    } finally {
      await model.close();
      await model.close();
    }
  });

  it('limits each call to llamaCallTimeLimitMs, else SLEEPTIME_LLAMA_TIME_LIMIT seconds: the call ends as cut by the time limit', async () => {
    const call = { prompt: 'Say something.', maxRetries: 0, maxOutputTokens: 4000, providerOptions: { llama: { stopOnLoop: false } } };
    for (const options of [{ env: { SLEEPTIME_LLAMA_TIME_LIMIT: '0.2' } }, { env: { SLEEPTIME_LLAMA_TIME_LIMIT: '600' }, llamaCallTimeLimitMs: 200 }]) {
      const model = await createModel(`llama:${loopingModelFile}`, { cacheDir: directory, contextSize: 4096, ...options });
      try {
        const result = await generateText({ model: model.languageModel, ...call });
        expect(result.finishReason).toBe('length');
        expect(result.rawFinishReason).toBe('time-limit');
      } finally {
        await model.close();
      }
    }
  });

  it('refuses a SLEEPTIME_LLAMA_TIME_LIMIT that is not a number of seconds, in one line, before loading anything', async () => {
    const failure = await createModel(`llama:${path.join(directory, 'missing.gguf')}`, { cacheDir: directory, env: { SLEEPTIME_LLAMA_TIME_LIMIT: '10m' } }).catch(
      (error: unknown) => error,
    );
    expect(SleeptimeError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'invalid_option', category: 'user' });
    expect((failure as SleeptimeError).message).toContain('SLEEPTIME_LLAMA_TIME_LIMIT');
  });

  it('refuses a SLEEPTIME_LLAMA_THREADS that is not a positive integer, in one line, before loading anything', async () => {
    for (const threads of ['0', 'all', '2.5']) {
      const failure = await createModel(`llama:${path.join(directory, 'missing.gguf')}`, { cacheDir: directory, env: { SLEEPTIME_LLAMA_THREADS: threads } }).catch(
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ code: 'invalid_option', category: 'user' });
      expect((failure as SleeptimeError).message).toContain('SLEEPTIME_LLAMA_THREADS must be a positive integer');
    }
    const model = await createModel(`llama:${modelFile}`, { cacheDir: directory, env: { SLEEPTIME_LLAMA_THREADS: '1' } });
    await model.close();
  });

  it('passes the loader typed error for a missing file through unchanged', async () => {
    const missing = path.join(directory, 'missing.gguf');
    let error: unknown;
    try {
      await createModel(`llama:${missing}`, { cacheDir: directory, env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(SleeptimeError.isInstance(error)).toBe(true);
    expect((error as SleeptimeError).category).toBe('user');
    expect((error as SleeptimeError).message).toContain('missing.gguf');
  });
});
