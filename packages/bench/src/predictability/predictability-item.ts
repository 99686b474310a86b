/** What the predictability scorers read: one query and the context it is asked about. */
import type { BenchItem } from '../bench-types.js';

export interface PredictabilityItem {
  dataset: string;
  itemId: string;
  context: string;
  query: string;
}

/** Bench items carry their id as `id`; the scorers and PredictabilityRow use `itemId`. */
export function predictabilityItemFromBenchItem(item: Pick<BenchItem, 'dataset' | 'id' | 'context' | 'query'>): PredictabilityItem {
  return { dataset: item.dataset, itemId: item.id, context: item.context, query: item.query };
}

/**
 * How the query follows the context in the scored text. A space, as the two halves of a split
 * sentence sequence are joined back in the original question.
 */
export const DEFAULT_QUERY_SEPARATOR = ' ';

export interface ScoringProgress {
  done: number;
  total: number;
}

/**
 * A probability too small for float32 (the scorers' softmax runs in float32) reads as 0; it is
 * counted as the smallest positive float32 instead, so a score stays finite and serializable.
 */
export const SMALLEST_PROBABILITY = 1.401298464324817e-45;
