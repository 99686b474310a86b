/** The README's library example, run for real against a mock model and the SQLite store. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { SleeptimeError, createEngine, openStore, type SleeptimeModel } from './index.js';

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

describe('the package entry point', () => {
  it('runs put, sleep and ask as the README shows', async () => {
    const replies = [
      { content: [{ type: 'tool-call' as const, toolCallId: 'a', toolName: 'rethink_memory', input: '{"new_memory":"X is 42."}' }], finishReason: { unified: 'tool-calls' as const, raw: undefined }, usage: usage(10, 5), warnings: [] },
      { content: [{ type: 'tool-call' as const, toolCallId: 'b', toolName: 'finish_rethinking', input: '{}' }], finishReason: { unified: 'tool-calls' as const, raw: undefined }, usage: usage(12, 2), warnings: [] },
      { content: [{ type: 'text' as const, text: 'The answer is 42.' }], finishReason: { unified: 'stop' as const, raw: undefined }, usage: usage(20, 6), warnings: [] },
    ];
    let call = 0;
    const model: SleeptimeModel = {
      spec: 'mock:readme',
      provider: 'openai-compatible',
      languageModel: new MockLanguageModelV3({ doGenerate: async () => replies[call++]! }),
      callSettings: (budget) => ({ maxOutputTokens: budget.maxOutputTokens }),
      close: async () => {},
    };
    const store = await openStore({ kind: 'sqlite', dataDir: await mkdtemp(path.join(os.tmpdir(), 'sleeptime-entry-')) });
    const engine = createEngine({ store, model });
    try {
      await engine.putContext({ id: 'notes', text: 'X is six times seven.' });
      const sleep = await engine.sleep('notes', { parallel: 1 });
      expect(sleep.learned).toBe('X is 42.');
      const { final, fresh, usage: askUsage } = await engine.ask('notes', 'What is X?', { verbosity: 0 });
      expect(final).toBe('42');
      expect(fresh).toBe(true);
      expect(askUsage).toEqual({ inputTokens: 20, outputTokens: 6, reasoningTokens: 0 });
      const missing = await engine.ask('nope', 'What is X?').catch((error: unknown) => error);
      expect(SleeptimeError.isInstance(missing) && missing.code).toBe('context_not_found');
    } finally {
      await store.close();
    }
  });
});
