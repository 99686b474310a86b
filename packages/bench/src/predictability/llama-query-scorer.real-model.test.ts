/**
 * The llama predictability scorer on a real model (the real-model tier: see
 * @sleeptime/core/testing's describeWithRealModel): log p(query | context) must be a finite
 * log-probability, and a real language model must find a query likelier after its own context than
 * after another item's. The queries repeat their context's words (names, objects), so even a small
 * model copies them; "most items" (3 of 4) leaves room for one exception.
 */
import type { LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRealModel } from '@sleeptime/core/testing';
import { getLlamaRuntime } from '@sleeptime/llama/internal';
import { scoreWithLlamaModel } from './llama-query-scorer.js';
import type { PredictabilityItem } from './predictability-item.js';

const ITEMS: PredictabilityItem[] = [
  { dataset: 'd', itemId: 'balloons', context: 'Maria has 12 red balloons and gives 5 red balloons to her brother Tom.', query: 'How many red balloons does Maria have left?' },
  { dataset: 'd', itemId: 'train', context: 'A train leaves Paris at 9 am and travels to Berlin at 120 km per hour.', query: 'At what time does the train from Paris arrive in Berlin?' },
  { dataset: 'd', itemId: 'bakery', context: 'The bakery sells chocolate cookies for $2 each and muffins for $3 each.', query: 'How much do 4 chocolate cookies and 2 muffins cost at the bakery?' },
  { dataset: 'd', itemId: 'pages', context: 'Sam reads 20 pages of his science book every evening.', query: 'How many pages of his science book does Sam read in a week?' },
];

describeWithRealModel('scoreWithLlamaModel on a real model', { describe, it }, (realModel) => {
  let model: LlamaModel;

  beforeAll(async () => {
    const llama = await getLlamaRuntime();
    model = await llama.loadModel({ modelPath: realModel.path });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('gives finite log-probabilities, and most queries are likelier after their own context than after another item\'s', async () => {
    // Each query once after its own context, once after the next item's.
    const swapped = ITEMS.map((item, index) => ({ ...item, itemId: `${item.itemId}-swapped`, context: ITEMS[(index + 1) % ITEMS.length]?.context ?? '' }));
    const rows = await scoreWithLlamaModel(model, [...ITEMS, ...swapped], { modelName: realModel.spec });
    expect(rows).toHaveLength(2 * ITEMS.length);
    for (const row of rows) {
      expect(Number.isFinite(row.logProbability), row.itemId).toBe(true);
      expect(row.logProbability, row.itemId).toBeLessThan(0);
      expect(row.queryTokens, row.itemId).toBeGreaterThan(0);
      expect(row.model).toBe(realModel.spec);
    }
    const own = rows.slice(0, ITEMS.length);
    const other = rows.slice(ITEMS.length);
    // The same query tokens either way, so the sums compare directly.
    expect(other.map((row) => row.queryTokens)).toEqual(own.map((row) => row.queryTokens));
    const likelierWithOwn = own.filter((row, index) => row.logProbability > (other[index]?.logProbability ?? 0));
    expect(likelierWithOwn.length, JSON.stringify(rows.map((row) => [row.itemId, row.logProbability]))).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
