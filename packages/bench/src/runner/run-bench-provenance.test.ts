/**
 * The runner records provenance from what it knows, never from a name: a scripted server is scripted
 * under any model id, a model file in a temporary folder is real unless the file says otherwise, and
 * what the user states wins. The report then labels the figures from those rows.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createModel, type SleeptimeModel } from '@sleeptime/core';
import { startScriptedOpenAIServer, sleeptimeErrorOf, type ScriptedOpenAIServer } from '@sleeptime/core/testing';
import { writeRandomLlamaGguf } from '@sleeptime/llama/testing';
import { PIPELINE_ONLY_SENTENCE } from '../report/provenance.js';
import { writeReport } from '../report/write-report.js';
import { runBench, type RunBenchOptions } from './run-bench.js';
import { benchTestItems } from './runner-test-support.js';

const items = benchTestItems.slice(0, 1);
const grid = { conditions: ['test-time-only' as const], testBudgets: { verbosity: [0 as const] }, seeds: [0], testMaxOutputTokens: 8 };

let root: string;
let runCounter = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sleeptime-provenance-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const servers: ScriptedOpenAIServer[] = [];
const models: SleeptimeModel[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function scriptedServer(declareProvenance = true): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer(() => ({ text: 'The answer is 4.' }), { declareProvenance });
  servers.push(server);
  return server;
}

async function compatibleModel(server: ScriptedOpenAIServer, id: string): Promise<SleeptimeModel> {
  const model = await createModel(`openai-compatible:${id}`, { baseUrl: server.baseUrl, env: {} });
  models.push(model);
  return model;
}

async function run(model: SleeptimeModel, extra: Partial<RunBenchOptions> = {}) {
  runCounter += 1;
  const directory = join(root, `run-${runCounter}`);
  const result = await runBench({ items, grid, model, resultsPath: join(directory, 'results.jsonl'), cacheDir: join(directory, 'cache'), ...extra });
  const report = await writeReport({ results: result.rows, outDir: join(directory, 'report') });
  return { ...result, markdown: await readFile(report.markdownPath, 'utf8'), pareto: await readFile(join(directory, 'report', 'figure-a-pareto.svg'), 'utf8') };
}

describe('runBench records provenance', () => {
  it('scripted for the scripted server, under a model id that names neither "scripted" nor "mock"', async () => {
    const model = await compatibleModel(await scriptedServer(), 'gpt-4o-mini');
    const { rows, provenance, markdown, pareto } = await run(model);
    expect(provenance).toMatchObject({ kind: 'scripted', source: 'server' });
    expect(rows.map((row) => row.provenance)).toEqual([provenance]);
    expect(markdown).toContain("openai-compatible:gpt-4o-mini (scripted, from the server's model list)");
    expect(markdown).toContain(PIPELINE_ONLY_SENTENCE);
    expect(pareto).toContain('openai-compatible:gpt-4o-mini (scripted)');
  });

  it('real for a server that declares nothing, and what the user states wins over it', async () => {
    const server = await scriptedServer(false);
    const detected = await run(await compatibleModel(server, 'scripted-model'));
    expect(detected.provenance).toMatchObject({ kind: 'real', source: 'server' });
    expect(detected.markdown).not.toContain(PIPELINE_ONLY_SENTENCE);

    const stated = await run(await compatibleModel(server, 'scripted-model'), { provenance: 'scripted' });
    expect(stated.provenance).toEqual({ kind: 'scripted', source: 'stated' });
    expect(stated.markdown).toContain('openai-compatible:scripted-model (scripted, as stated by the user)');
    expect(stated.markdown).toContain(PIPELINE_ONLY_SENTENCE);
  });

  it('from the model file: random weights for a marked GGUF, real weights for an unmarked one in a temporary folder', async () => {
    const marked = join(root, 'marked.gguf');
    // Named and placed as the old name-based guess would have called random weights.
    const unmarked = join(root, 'random-looking.gguf');
    await writeRandomLlamaGguf(marked, { seed: 2 });
    await writeRandomLlamaGguf(unmarked, { seed: 2, provenanceMarker: false });

    const markedModel = await createModel(`llama:${marked}`, { cacheDir: root, env: {}, prefixStateDir: null });
    models.push(markedModel);
    const random = await run(markedModel);
    expect(random.provenance).toMatchObject({ kind: 'random-weights', source: 'model-file' });
    expect(random.markdown).toContain(PIPELINE_ONLY_SENTENCE);
    expect(random.pareto).toContain('(random weights)');

    const unmarkedModel = await createModel(`llama:${unmarked}`, { cacheDir: root, env: {}, prefixStateDir: null });
    models.push(unmarkedModel);
    const real = await run(unmarkedModel);
    expect(real.provenance).toMatchObject({ kind: 'real', source: 'model-file' });
    expect(real.markdown).not.toContain(PIPELINE_ONLY_SENTENCE);
    expect(real.markdown).not.toContain('> **Provenance:**');
    expect(real.pareto).toContain(`llama:${unmarked} (real weights)`);
  }, 60_000);

  it('unknown for a model that says nothing, and refuses a provenance it does not know', async () => {
    const server = await scriptedServer();
    const { provenance: _provenance, ...silent } = await compatibleModel(server, 'm');
    const result = await run(silent);
    expect(result.provenance).toMatchObject({ kind: 'unknown', source: 'none' });
    expect(result.markdown).toContain('Where the results of openai-compatible:m (provenance unknown: openai-compatible:m says nothing about its provenance) come from is unknown');

    const error = await sleeptimeErrorOf(run(silent, { provenance: 'made-up' as never }));
    expect(error).toMatchObject({ code: 'invalid_option', category: 'user' });
  });
});

// The real test model, when this machine has it (SLEEPTIME_TEST_MODEL or ../shared/models beside the repository).
const realModelPath = process.env.SLEEPTIME_TEST_MODEL ?? fileURLToPath(new URL('../../../../../shared/models/SmolLM2-135M-Instruct.Q4_1.gguf', import.meta.url));
const haveRealModel = existsSync(realModelPath);

describe('runBench on a real GGUF', () => {
  it.skipIf(!haveRealModel)(
    `records real weights for a real model reached through a temporary folder${haveRealModel ? '' : ` (skipped: no real model at ${realModelPath})`}`,
    async () => {
      const inTemporaryFolder = join(root, 'model.gguf');
      await symlink(realModelPath, inTemporaryFolder);
      const model = await createModel(`llama:${inTemporaryFolder}`, { cacheDir: root, env: {}, prefixStateDir: null, contextSize: 1024 });
      models.push(model);
      const { provenance, markdown } = await run(model);
      expect(provenance).toMatchObject({ kind: 'real', source: 'model-file' });
      expect(markdown).toContain(`llama:${inTemporaryFolder} (real weights)`);
      expect(markdown).not.toContain(PIPELINE_ONLY_SENTENCE);
    },
    120_000,
  );
});
