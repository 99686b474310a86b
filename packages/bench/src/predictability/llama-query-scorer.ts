/**
 * log p(query | context) under a GGUF model run in-process by node-llama-cpp.
 *
 * Method, per item:
 * 1. Tokens: BOS (when the model wants one), then the tokens of `context + separator + query`.
 *    The query's tokens are those after the longest common prefix with the tokens of the context
 *    alone; at a clean boundary that is exactly the query, and where the tokenizer merges across
 *    the boundary the merged token is scored too (it carries query text).
 * 2. The tokens are evaluated once with `sequence.controlledEvaluate`; at every position from the
 *    last conditioning token on, `generateNext: {probabilities: true}` returns the model's full
 *    next-token distribution (softmax of the raw logits: temperature 0 selects the greedy sampler,
 *    which filters nothing), and the probability of the token that really comes next is read off.
 * 3. The score is the sum of the natural logs of those probabilities.
 *
 * Items that share their conditioning tokens (Multi-Query: ~10 queries a context) reuse the
 * evaluated prefix: only the tokens after it are erased and evaluated again.
 */
import type { ControlledEvaluateInputItem, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { userError } from '@sleeptime/core';
import type { PredictabilityRow } from '../bench-types.js';
import { DEFAULT_QUERY_SEPARATOR, SMALLEST_PROBABILITY, type PredictabilityItem, type ScoringProgress } from './predictability-item.js';

const SINGLE_THREAD_MODEL_BYTES = 64 * 2 ** 20;

export interface LlamaQueryScorerOptions {
  /** Written to every row's `model`, e.g. `llama:/models/base.gguf`. */
  modelName: string;
  /** Between context and query. Default one space. */
  separator?: string;
  /** Context window to create. Default: the longest item, within the model's training context. */
  contextSize?: number;
  /** CPU threads. Default: 1 for models under 64 MB, else the number of math cores (as the llama provider). */
  threads?: number;
  onProgress?: (progress: ScoringProgress) => void;
  signal?: AbortSignal;
}

/** One item's tokens and where its query starts. */
export interface TokenizedItem {
  tokens: Token[];
  /** Index of the first query token; at least 1, since the first token of a text has no prediction. */
  queryStart: number;
}

export function tokenizeItem(model: LlamaModel, item: PredictabilityItem, separator: string = DEFAULT_QUERY_SEPARATOR): TokenizedItem {
  const prefix: Token[] = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos] : [];
  const contextTokens = [...prefix, ...model.tokenize(item.context)];
  const tokens = [...prefix, ...model.tokenize(`${item.context}${separator}${item.query}`)];
  const shared = commonPrefixLength(contextTokens, tokens);
  return { tokens, queryStart: Math.max(1, shared) };
}

export async function scoreWithLlamaModel(
  model: LlamaModel,
  items: readonly PredictabilityItem[],
  options: LlamaQueryScorerOptions,
): Promise<PredictabilityRow[]> {
  const separator = options.separator ?? DEFAULT_QUERY_SEPARATOR;
  // Tokenize everything first: an item too long for the model fails before any evaluation.
  const tokenized = items.map((item) => tokenizeItem(model, item, separator));
  tokenized.forEach((entry, index) => {
    if (entry.tokens.length <= entry.queryStart)
      throw userError('predictability_empty_query', `Item ${items[index]?.itemId} has no query tokens to score.`, { itemId: items[index]?.itemId });
  });
  const longest = Math.max(0, ...tokenized.map((entry) => entry.tokens.length));
  const contextSize = options.contextSize ?? Math.min(model.trainContextSize, longest);
  const tooLong = tokenized.findIndex((entry) => entry.tokens.length > contextSize);
  if (tooLong >= 0) {
    throw userError(
      'predictability_item_too_long',
      `Item ${items[tooLong]?.itemId} has ${tokenized[tooLong]?.tokens.length} tokens, more than the context window (${contextSize}) of ${options.modelName}.`,
      { itemId: items[tooLong]?.itemId, contextSize },
    );
  }
  if (items.length === 0) return [];

  // node-llama-cpp's default may exceed the cores (4 threads on 2 cores here), and spinning threads
  // then make evaluation hundreds of times slower.
  const threads = options.threads ?? (model.size < SINGLE_THREAD_MODEL_BYTES ? 1 : Math.max(1, model.llama.cpuMathCores));
  const context = await model.createContext({ contextSize, sequences: 1, threads });
  try {
    const sequence = context.getSequence();
    const rows: PredictabilityRow[] = [];
    for (let index = 0; index < items.length; index += 1) {
      options.signal?.throwIfAborted();
      const item = items[index] as PredictabilityItem;
      const entry = tokenized[index] as TokenizedItem;
      const logProbabilities = await queryTokenLogProbabilities(sequence, entry);
      rows.push({
        dataset: item.dataset,
        itemId: item.itemId,
        model: options.modelName,
        logProbability: logProbabilities.reduce((sum, value) => sum + value, 0),
        queryTokens: logProbabilities.length,
      });
      options.onProgress?.({ done: index + 1, total: items.length });
    }
    return rows;
  } finally {
    await context.dispose();
  }
}

/**
 * ln p of each query token given everything before it. The sequence keeps what it evaluated for the
 * previous item; the part shared with this item stays, except the last conditioning token, whose
 * next-token distribution is needed again (the cache keeps no logits).
 */
export async function queryTokenLogProbabilities(sequence: LlamaContextSequence, entry: TokenizedItem): Promise<number[]> {
  const { tokens, queryStart } = entry;
  const cached = sequence.contextTokens;
  const keep = Math.min(commonPrefixLength(cached, tokens), queryStart - 1);
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);

  // The last token predicts nothing that is scored, so it is not evaluated.
  const input = tokens.slice(keep, tokens.length - 1).map((token, offset): ControlledEvaluateInputItem => {
    if (keep + offset < queryStart - 1) return token;
    return [token, { generateNext: { probabilities: true, options: { temperature: 0 } } }];
  });
  const outputs = await sequence.controlledEvaluate(input);

  const logProbabilities: number[] = [];
  for (let position = queryStart - 1; position < tokens.length - 1; position += 1) {
    const probabilities = outputs[position - keep]?.next.probabilities;
    if (probabilities === undefined) throw new Error(`node-llama-cpp returned no probabilities at position ${position}`);
    const probability = probabilities.get(tokens[position + 1] as Token) ?? 0;
    logProbabilities.push(Math.log(Math.max(probability, SMALLEST_PROBABILITY)));
  }
  return logProbabilities;
}

function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length += 1;
  return length;
}
