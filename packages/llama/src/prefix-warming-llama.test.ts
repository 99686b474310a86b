/**
 * End to end on a tiny random-weight GGUF: a sleep publishes and saves the ask prefix state; an ask
 * from a freshly loaded model (as in a new process) restores it, reads only the question, and the
 * run records the hit and the time to first token.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModel } from '@sleeptime/core';
import type { SleeptimeModel } from '@sleeptime/core';
import { openStore } from '@sleeptime/core';
import type { Store } from '@sleeptime/core';
import { writeRandomLlamaGguf } from './testing/gguf-writer.js';
import { createEngine } from '@sleeptime/core';

let directory: string;
let store: Store;
const models: SleeptimeModel[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-engine-llama-prefix-'));
  store = await openStore({ kind: 'sqlite', dataDir: join(directory, 'data') });
});

afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

describe('llama sleep-time prefix precompute through the engine', () => {
  it('saves the prefix at sleep and restores it in the next ask', async () => {
    const modelPath = join(directory, 'random.gguf');
    // Strong closers keep random JSON short, so the memory rewrite fits the token limit (as in cli-llama.test.ts).
    await writeRandomLlamaGguf(modelPath, { seed: 1, logitBiasByText: { '"': 10, '}': 10, ']': 10, ',': 2 } });
    const prefixStateDir = join(directory, 'prefix-states');
    const load = async () => {
      const model = await createModel(`llama:${modelPath}`, { prefixStateDir, env: {} });
      models.push(model);
      return model;
    };

    const sleeper = createEngine({ store, model: await load() });
    await sleeper.putContext({ id: 'note', text: 'Ana buys 3 apples at $2 each.' });
    const sleep = await sleeper.sleep('note', { maxRewrites: 2, maxOutputTokens: 64 });
    expect(sleep.prefixWarmUp).toMatchObject({ status: 'saved' });
    expect(sleep.prefixWarmUp?.prefixTokens).toBeGreaterThan(100);
    expect((await readdir(prefixStateDir)).filter((name) => name.endsWith('.state'))).toHaveLength(1);

    // A new model instance has an empty context: only the saved state can make this a hit.
    const asker = createEngine({ store, model: await load() });
    const ask = await asker.ask('note', 'How much does Ana pay?', { verbosity: 0, maxOutputTokens: 4 });
    expect(ask.prefixCacheHit).toBe(true);
    expect(ask.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(await store.runs.get(ask.runId)).toMatchObject({ prefixCacheHit: true, timeToFirstTokenMs: expect.any(Number) });

    const baseline = await asker.ask('note', 'How much does Ana pay?', { verbosity: 0, maxOutputTokens: 4, useLearned: false });
    // Another prompt prefix (no learned context): no saved state for it, and the live context holds the other prefix.
    expect(baseline.prefixCacheHit).toBe(false);
  });
});
