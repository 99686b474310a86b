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

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-models-'));
  modelFile = path.join(directory, 'tiny.gguf');
  await writeRandomLlamaGguf(modelFile);
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
