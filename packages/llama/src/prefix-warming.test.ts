/**
 * Sleep-time prefix warming on a real (tiny, random-weight) GGUF: the saved state is the ask's exact
 * prefix, restoring it gives the same next-token distribution as reading the prefix cold, and asks
 * answer the same with a hit, a miss, another model's state or a damaged state.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import { getLlama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomLlamaGguf } from './testing/gguf-writer.js';
import { readPrefixCacheReport } from '@sleeptime/core';
import { createLlamaModel, type LlamaModelHandle } from './index.js';
import type { LlamaLanguageModel, PrefixCacheDetails } from './llama-language-model.js';
import { modelFileIdentity, PrefixStateCache, tokensSha256 } from './prefix-state-cache.js';

let directory: string;
let stateDirectory: string;
let modelPath: string;
let otherModelPath: string;
let handle: LlamaModelHandle;
let otherHandle: LlamaModelHandle;
/** The same file loaded separately, to tokenize and evaluate independently of the provider. */
let referenceModel: LlamaModel;

const systemMessage = `You answer questions about a context.\n\n<learned_context>\n${'The shop sells 12 apples a day. '.repeat(12)}\n</learned_context>`;
const question = 'Question: how many apples in 3 days?';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-prefix-warming-'));
  stateDirectory = join(directory, 'states');
  modelPath = join(directory, 'model.gguf');
  otherModelPath = join(directory, 'other-model.gguf');
  // Same shape, other weights: a state of one would load into the other without an error, which is why keys matter.
  await writeRandomLlamaGguf(modelPath, { seed: 21 });
  await writeRandomLlamaGguf(otherModelPath, { seed: 22 });
  const prefixStateCache = { directory: stateDirectory, maxBytes: 64 * 2 ** 20 };
  handle = await createLlamaModel({ source: modelPath, cacheDir: directory, contextSize: 2048, prefixStateCache });
  otherHandle = await createLlamaModel({ source: otherModelPath, cacheDir: directory, contextSize: 2048, prefixStateCache });
  referenceModel = await (await getLlama({ gpu: false })).loadModel({ modelPath });
});

afterAll(async () => {
  await handle?.close();
  await otherHandle?.close();
  await referenceModel?.dispose();
  await rm(directory, { recursive: true, force: true });
});

/** The ChatML rendering of the file's template up to where the user's text starts. */
function expectedPrefixTokens(): Token[] {
  return referenceModel.tokenize(`<s><|im_start|>system\n${systemMessage}<|im_end|>\n<|im_start|>user\n`, true);
}

async function ask(model: LlamaModelHandle, options: { fromCold: boolean }): Promise<LanguageModelV3GenerateResult & { prefixCache: PrefixCacheDetails }> {
  const languageModel = model.languageModel as LlamaLanguageModel;
  if (options.fromCold) await languageModel.clearSequence();
  const result = await languageModel.doGenerate({
    prompt: [
      { role: 'system', content: systemMessage },
      { role: 'user', content: [{ type: 'text', text: question }] },
    ],
    maxOutputTokens: 6,
    temperature: 0,
  });
  const prefixCache = (result.providerMetadata?.llama as unknown as { prefixCache: PrefixCacheDetails }).prefixCache;
  return { ...result, prefixCache };
}

async function stateFor(model: string): Promise<{ statePath: string; key: string }> {
  const cache = new PrefixStateCache({ directory: stateDirectory });
  const lookup = await cache.lookup({ modelIdentity: await modelFileIdentity(model), prefixTokens: expectedPrefixTokens() });
  if (!lookup.found) throw new Error(`no state: ${lookup.reason}`);
  return { statePath: lookup.entry.statePath, key: lookup.entry.key };
}

describe('llama prefix warming', () => {
  it('saves exactly the tokens an ask starts with, keyed by the model file', async () => {
    const warmUp = await handle.warmPrefix(systemMessage);
    const expected = expectedPrefixTokens();
    expect(warmUp).toMatchObject({ status: 'saved', prefixTokens: expected.length });
    const entries = await new PrefixStateCache({ directory: stateDirectory }).entries();
    expect(entries.map((entry) => entry.manifest.prefixTokensSha256)).toContain(tokensSha256(expected));
    expect(await handle.warmPrefix(systemMessage)).toMatchObject({ status: 'already-warm', prefixTokens: expected.length });
  });

  it('restores a state whose next-token distribution equals a cold prefill of the same prefix', async () => {
    await handle.warmPrefix(systemMessage);
    const prefix = expectedPrefixTokens();
    const rest = referenceModel.tokenize(`${question}<|im_end|>\n<|im_start|>assistant\n`, true);
    const context = await referenceModel.createContext({ contextSize: 2048, threads: 1 });
    try {
      const sequence = context.getSequence();
      const distributionAfter = async (tokens: Token[]): Promise<Map<Token, number>> => {
        const items = tokens.map((token, index) => (index === tokens.length - 1 ? [token, { generateNext: { probabilities: true } }] as const : token));
        const results = await sequence.controlledEvaluate(items as never);
        return results.at(-1)?.next?.probabilities ?? new Map();
      };
      const cold = await distributionAfter([...prefix, ...rest]);

      await sequence.clearHistory();
      await sequence.loadStateFromFile((await stateFor(modelPath)).statePath, { acceptRisk: true });
      expect(sequence.contextTokens).toEqual(prefix);
      const warm = await distributionAfter(rest);

      expect(cold.size).toBeGreaterThan(100);
      expect([...warm.keys()].sort((a, b) => a - b)).toEqual([...cold.keys()].sort((a, b) => a - b));
      let largestDifference = 0;
      for (const [token, probability] of cold) largestDifference = Math.max(largestDifference, Math.abs(probability - (warm.get(token) ?? -1)));
      expect(largestDifference).toBeLessThan(1e-4);
    } finally {
      await context.dispose();
    }
  });

  it('answers the same with a hit, reading only the question, as with a miss', async () => {
    await handle.warmPrefix(systemMessage);
    const hit = await ask(handle, { fromCold: true });
    expect(hit.prefixCache.source).toBe('state-file');
    const promptTokens = hit.usage.inputTokens.total ?? 0;
    // The prefix the ask rendered is token-identical to the saved one: only the question part is evaluated.
    expect(hit.prefixCache.evaluatedPromptTokens).toBe(promptTokens - expectedPrefixTokens().length);
    expect(readPrefixCacheReport(hit.providerMetadata)).toMatchObject({ prefixCacheHit: true, cachedPromptTokens: expectedPrefixTokens().length });
    expect(hit.prefixCache.timeToFirstTokenMs).toBeGreaterThan(0);

    const { statePath } = await stateFor(modelPath);
    await rename(statePath, `${statePath}.away`);
    const miss = await ask(handle, { fromCold: true });
    await rename(`${statePath}.away`, statePath);
    expect(miss.prefixCache).toMatchObject({ source: 'none', stateMiss: 'size-mismatch', evaluatedPromptTokens: promptTokens });
    expect(readPrefixCacheReport(miss.providerMetadata)).toMatchObject({ prefixCacheHit: false, cachedPromptTokens: 0 });
    expect(miss.content).toEqual(hit.content);
  });

  it("never uses another model's state, even filed under its key", async () => {
    await handle.warmPrefix(systemMessage);
    const unwarmed = await ask(otherHandle, { fromCold: true });
    expect(unwarmed.prefixCache).toMatchObject({ source: 'none', stateMiss: 'missing' });

    // Forge: put this model's state and manifest under the other model's key.
    const own = await stateFor(modelPath);
    const forgedKey = PrefixStateCache.keyOf({ modelIdentity: await modelFileIdentity(otherModelPath), prefixTokens: expectedPrefixTokens() });
    await writeFile(join(stateDirectory, `${forgedKey}.state`), await readFile(own.statePath));
    await writeFile(join(stateDirectory, `${forgedKey}.json`), await readFile(join(stateDirectory, `${own.key}.json`)));
    const forged = await ask(otherHandle, { fromCold: true });
    expect(forged.prefixCache).toMatchObject({ source: 'none', stateMiss: 'key-mismatch' });
    expect(forged.content).toEqual(unwarmed.content);
  });

  it('refuses a damaged state file and still answers', async () => {
    await handle.warmPrefix(systemMessage);
    const reference = await ask(handle, { fromCold: true });
    const { statePath } = await stateFor(modelPath);
    const bytes = await readFile(statePath);
    for (let index = 64; index < bytes.length; index += 997) bytes[index] = 0xff - bytes[index]!;
    await writeFile(statePath, bytes);
    const damaged = await ask(handle, { fromCold: true });
    expect(damaged.prefixCache).toMatchObject({ source: 'none', stateMiss: 'checksum-mismatch' });
    expect(damaged.content).toEqual(reference.content);
  });
});
