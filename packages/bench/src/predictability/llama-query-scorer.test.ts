/**
 * The llama scorer on a random-weight GGUF: its scores must equal an independent computation that
 * evaluates every query position on its own, in a fresh sequence, and sums the log of the
 * probability the model gives the real next token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import { getLlamaRuntime } from '@sleeptime/llama/internal';
import { writeRandomLlamaGguf } from '@sleeptime/llama/testing';
import { scoreWithLlamaModel } from './llama-query-scorer.js';
import type { PredictabilityItem } from './predictability-item.js';
import { scoreQueryLogProbability } from './score-query-log-probability.js';

let directory: string;
let modelPath: string;
let model: LlamaModel;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-predictability-'));
  modelPath = join(directory, 'random.gguf');
  // No logit bias: every token's probability comes from the random weights alone.
  await writeRandomLlamaGguf(modelPath, { seed: 11, logitBiasByText: {} });
  const llama = await getLlamaRuntime();
  model = await llama.loadModel({ modelPath });
});

afterAll(async () => {
  await model?.dispose();
  await rm(directory, { recursive: true, force: true });
});

const ITEMS: PredictabilityItem[] = [
  { dataset: 'd', itemId: 'apples-total', context: 'Ann has 3 apples and buys 4 more.', query: 'How many apples does Ann have?' },
  { dataset: 'd', itemId: 'train', context: 'The train leaves at 9 and takes 2 hours.', query: 'When does it arrive?' },
  // Same context as the first item, after a different one: the scorer must not reuse the wrong prefix.
  { dataset: 'd', itemId: 'apples-bought', context: 'Ann has 3 apples and buys 4 more.', query: 'How many does she buy?' },
  { dataset: 'd', itemId: 'no-context', context: '', query: 'Why?' },
];

/** The independent computation: one evaluation from an empty state per query token. */
async function referenceScore(item: PredictabilityItem): Promise<{ logProbability: number; queryTokens: number }> {
  const bos: Token[] = model.tokens.bos === null ? [] : [model.tokens.bos];
  const contextTokens = [...bos, ...model.tokenize(item.context)];
  const allTokens = [...bos, ...model.tokenize(`${item.context} ${item.query}`)];
  // These texts tokenize cleanly at the boundary; the query is exactly the rest.
  expect(allTokens.slice(0, contextTokens.length)).toEqual(contextTokens);
  const queryTokens = allTokens.slice(contextTokens.length);
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const sequence = context.getSequence();
    let logProbability = 0;
    for (let index = 0; index < queryTokens.length; index += 1) {
      // Start from an empty state every time: nothing carries over from the previous position.
      await sequence.clearHistory();
      const prefix = allTokens.slice(0, contextTokens.length + index);
      const input = prefix.map((token, position) =>
        position === prefix.length - 1 ? ([token, { generateNext: { probabilities: true } }] as [Token, { generateNext: { probabilities: true } }]) : token,
      );
      const outputs = await sequence.controlledEvaluate(input);
      const probabilities = outputs[prefix.length - 1]?.next.probabilities;
      if (probabilities === undefined) throw new Error('no probabilities');
      // The distribution must be a full softmax over the vocabulary.
      const total = [...probabilities.values()].reduce((sum, value) => sum + value, 0);
      expect(total).toBeCloseTo(1, 3);
      // Not cut to the top few tokens: the vocabulary has 256 byte tokens alone.
      expect(probabilities.size).toBeGreaterThan(256);
      logProbability += Math.log(probabilities.get(queryTokens[index] as Token) as number);
    }
    return { logProbability, queryTokens: queryTokens.length };
  } finally {
    await context.dispose();
  }
}

describe('scoreWithLlamaModel', () => {
  it('equals the sum of per-position log-probabilities computed one by one, and is <= 0', async () => {
    const progress: number[] = [];
    const rows = await scoreWithLlamaModel(model, ITEMS, { modelName: `llama:${modelPath}`, onProgress: ({ done }) => progress.push(done) });
    expect(rows.map((row) => row.itemId)).toEqual(ITEMS.map((item) => item.itemId));
    expect(progress).toEqual([1, 2, 3, 4]);
    for (const [index, row] of rows.entries()) {
      const reference = await referenceScore(ITEMS[index] as PredictabilityItem);
      expect(row.queryTokens, row.itemId).toBe(reference.queryTokens);
      expect(row.queryTokens, row.itemId).toBeGreaterThan(0);
      // The same float32 math in a different order of evaluation: equal to far below a token's worth.
      expect(Math.abs(row.logProbability - reference.logProbability), row.itemId).toBeLessThan(1e-4);
      expect(row.logProbability, row.itemId).toBeLessThanOrEqual(0);
      expect(row).toMatchObject({ dataset: 'd', model: `llama:${modelPath}` });
    }
    // Two different queries about one context are different events.
    expect(rows[0]?.logProbability).not.toBeCloseTo(rows[2]?.logProbability ?? 0, 1);
  });

  it('gives the same score whatever item came before', async () => {
    const alone = await scoreWithLlamaModel(model, [ITEMS[2] as PredictabilityItem], { modelName: 'm' });
    const afterOthers = await scoreWithLlamaModel(model, ITEMS, { modelName: 'm' });
    expect(afterOthers[2]?.logProbability).toBeCloseTo(alone[0]?.logProbability ?? Number.NaN, 3);
  });

  it('refuses an item longer than the context window before evaluating anything', async () => {
    const error = await scoreWithLlamaModel(model, ITEMS, { modelName: 'm', contextSize: 8 }).catch((caught: unknown) => caught);
    expect(SleeptimeError.isInstance(error) && error.code).toBe('predictability_item_too_long');
  });
});

describe('scoreQueryLogProbability with a llama model file', () => {
  it('loads the GGUF, scores, and names the model by its spec', async () => {
    const rows = await scoreQueryLogProbability([ITEMS[1] as PredictabilityItem], { scorer: { kind: 'llama', modelPath } });
    const reference = await referenceScore(ITEMS[1] as PredictabilityItem);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.model).toBe(`llama:${modelPath}`);
    // The GGUF writer marks its files: the scores say they come from random weights.
    expect(rows[0]?.provenance).toMatchObject({ kind: 'random-weights', source: 'model-file' });
    expect(rows[0]?.logProbability).toBeCloseTo(reference.logProbability, 2);
  });

  it('says so when the model file is missing', async () => {
    const error = await scoreQueryLogProbability(ITEMS, { scorer: { kind: 'llama', modelPath: join(directory, 'missing.gguf') } }).catch((caught: unknown) => caught);
    expect(SleeptimeError.isInstance(error) && error.code).toBe('model_file_not_found');
  });
});
