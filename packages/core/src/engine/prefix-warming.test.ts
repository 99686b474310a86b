/** The engine's sleep-time prefix hook: warm after publishing, survive a failed warm-up, record what asks report. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userError } from '../errors.js';
import { prefixCacheProviderMetadata } from '../models/prefix-cache-report.js';
import type { PrefixWarmUp, SleeptimeModel } from '../models/types.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createEngine } from './engine.js';
import { finish, rethink, scriptedLanguageModel, systemMessage, testModel, textReply, type ScriptStep } from '../testing/mock-models.js';

const contextText = 'Ana has 3 boxes with 12 pencils each. She gives 5 pencils to Ben.';
const learnedMemory = 'Ana starts with 36 pencils and keeps 31.';

let dataDir: string;
let store: Store;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-engine-prefix-'));
  store = await openStore({ kind: 'sqlite', dataDir });
});

afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

function warmingModel(script: ScriptStep[], warmPrefix: (systemMessage: string) => Promise<PrefixWarmUp>) {
  const warmedSystemMessages: string[] = [];
  const model: SleeptimeModel & { languageModel: ReturnType<typeof scriptedLanguageModel> } = {
    ...testModel(scriptedLanguageModel(script)),
    warmPrefix: async (message) => {
      warmedSystemMessages.push(message);
      return warmPrefix(message);
    },
  };
  return { model, warmedSystemMessages };
}

describe('engine prefix warming', () => {
  it('warms, after publishing, exactly the system message the next ask sends, and records it on the run', async () => {
    const { model, warmedSystemMessages } = warmingModel(
      [rethink(learnedMemory, { input: 5, output: 5 }), finish({ input: 5, output: 1 }), textReply('The answer is 31.', { input: 9, output: 4 })],
      async () => {
        // Published before the warm-up starts: the learned context is already there to be asked about.
        expect((await store.learned.latest('pencils'))?.text).toBe(learnedMemory);
        return { status: 'saved', prefixTokens: 120, stateBytes: 4096, durationMs: 250.4 };
      },
    );
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'pencils', text: contextText });
    const sleep = await engine.sleep('pencils');
    expect(sleep.prefixWarmUp).toEqual({ status: 'saved', prefixTokens: 120, stateBytes: 4096, durationMs: 250 });
    expect((await store.runs.get(sleep.runId))?.prefixWarmUp).toEqual(sleep.prefixWarmUp);

    await engine.ask('pencils', 'How many pencils does Ana keep?', { verbosity: 0 });
    const askPrompt = model.languageModel.doGenerateCalls.at(-1)?.prompt ?? [];
    expect(warmedSystemMessages).toHaveLength(1);
    expect(warmedSystemMessages[0]).toBe(systemMessage(askPrompt));
    expect(warmedSystemMessages[0]).toContain(learnedMemory);
    expect(warmedSystemMessages[0]).toContain(contextText);
  });

  it('keeps the sleep succeeded when the warm-up fails, and records the failure', async () => {
    const { model } = warmingModel([rethink(learnedMemory, { input: 5, output: 5 }), finish({ input: 5, output: 1 })], async () => {
      throw userError('context_overflow', 'The prompt prefix has 9000 tokens but the llama context holds 8192');
    });
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'pencils', text: contextText });
    const sleep = await engine.sleep('pencils');
    expect(sleep.learned).toBe(learnedMemory);
    expect(sleep.prefixWarmUp).toMatchObject({ status: 'failed', error: { code: 'context_overflow' } });
    expect(await store.runs.get(sleep.runId)).toMatchObject({ status: 'succeeded', prefixWarmUp: { status: 'failed', error: { code: 'context_overflow' } } });
    expect((await engine.learnedContext('pencils'))?.record.text).toBe(learnedMemory);
  });

  it('does not warm with a model that cannot', async () => {
    const model = testModel(scriptedLanguageModel([rethink(learnedMemory, { input: 5, output: 5 }), finish({ input: 5, output: 1 })]));
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'pencils', text: contextText });
    const sleep = await engine.sleep('pencils');
    expect(sleep.prefixWarmUp).toBeUndefined();
    expect((await store.runs.get(sleep.runId))?.prefixWarmUp).toBeNull();
  });

  it("records an ask's prefix cache hit and time to first token as the model reports them", async () => {
    const hit = { ...textReply('The answer is 31.', { input: 9, output: 4 }), providerMetadata: prefixCacheProviderMetadata({ prefixCacheHit: true, timeToFirstTokenMs: 38.5, cachedPromptTokens: 700 }) };
    const miss = { ...textReply('The answer is 31.', { input: 9, output: 4 }), providerMetadata: prefixCacheProviderMetadata({ prefixCacheHit: false, timeToFirstTokenMs: 4100, cachedPromptTokens: 0 }) };
    // Providers without a report of their own: the cache-read count of their usage decides; no count, no verdict.
    const plain = textReply('The answer is 31.', { input: 9, output: 4 });
    const cacheRead = { ...plain, usage: { ...plain.usage, inputTokens: { total: 9, noCache: 2, cacheRead: 7, cacheWrite: 0 } } };
    const silent = { ...plain, usage: { ...plain.usage, inputTokens: { total: 9, noCache: undefined, cacheRead: undefined, cacheWrite: undefined } } };
    const engine = createEngine({ store, model: testModel(scriptedLanguageModel([hit, miss, cacheRead, silent])) });
    await engine.putContext({ id: 'pencils', text: contextText });

    const hitAsk = await engine.ask('pencils', 'How many?');
    expect(hitAsk).toMatchObject({ prefixCacheHit: true, timeToFirstTokenMs: 38.5 });
    expect(await store.runs.get(hitAsk.runId)).toMatchObject({ prefixCacheHit: true, timeToFirstTokenMs: 39 });
    const missAsk = await engine.ask('pencils', 'How many?');
    expect(await store.runs.get(missAsk.runId)).toMatchObject({ prefixCacheHit: false, timeToFirstTokenMs: 4100 });
    const cacheReadAsk = await engine.ask('pencils', 'How many?');
    expect(cacheReadAsk).toMatchObject({ prefixCacheHit: true, timeToFirstTokenMs: null });
    const silentAsk = await engine.ask('pencils', 'How many?');
    expect(silentAsk).toMatchObject({ prefixCacheHit: null, timeToFirstTokenMs: null });
    expect(await store.runs.get(silentAsk.runId)).toMatchObject({ prefixCacheHit: null, timeToFirstTokenMs: null });
  });
});
