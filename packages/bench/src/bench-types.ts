/**
 * The contract between the benchmark's parts: datasets produce `BenchItem`s, the runner writes
 * `BenchResultRow`s (one JSON object a line), the analyses and the report read them.
 */
import type { BudgetForcing, ModelProvenance, TruncationLimit, Usage } from '@sleeptime/core';

/** How an answer is graded (SPEC section 3). */
export type GraderKind = 'gsm' | 'aime';

/** One query about one context, from any dataset. */
export interface BenchItem {
  /** Unique within the dataset, stable across runs (e.g. `p2/0003/seed-7/2`, `aime-2024-I-01`). */
  id: string;
  /** e.g. `gsm-symbolic-p1`, `gsm-symbolic-p2`, `multi-query-p1`, `aime`. */
  dataset: string;
  /** Items that share a context share its sleep-time run (Multi-Query: ~10 queries a context). */
  contextGroup: string;
  context: string;
  query: string;
  answer: number;
  grader: GraderKind;
}

/**
 * - `test-time-only`: context + query, no learned context (the baseline);
 * - `sleep-time`: learned context made at sleep time, then the query (with the raw context, as the
 *   paper's code does);
 * - `context-only`: the ablation as the paper describes it (SPEC section 2): no sleep run and no
 *   learned context; the model sees only the raw context, is told the question was withheld, and
 *   must guess it and answer it. Graded against the real answer;
 * - `sleep-time-no-question`: the ablation as the paper's released code runs it
 *   (run_stateful_gsm_symbolic.py --ablate_question): the `sleep-time` cell with the question left
 *   out and nothing else changed: the same sleep run (learned context), the same answering
 *   instructions and raw context, the same budgets; graded against the real answer;
 * - `pass-at-k`: k samples at the lowest test-time budget, correct if any is (an oracle verifier).
 *
 * Both ablations leave out items whose context is empty (there is nothing to answer from).
 */
export type BenchCondition = 'test-time-only' | 'sleep-time' | 'context-only' | 'sleep-time-no-question' | 'pass-at-k';

export interface TestTimeBudget {
  verbosity?: 0 | 1 | 2 | 3 | 4;
  effort?: 'low' | 'medium' | 'high';
  thinkingBudget?: number;
  /** Budget forcing (s1): the thinking ended at `thinkingTokens`, or also extended with "Wait" (`extend`, up to `waits` times). */
  budgetForcing?: BudgetForcing;
}

export interface SleepTimeBudget {
  /** k: parallel sleep-time runs, concatenated. */
  parallel: number;
  effort?: 'low' | 'medium' | 'high';
}

export interface BenchResultRow {
  /** Deterministic key of (dataset, itemId, condition, testBudget, sleepBudget, seed, model): resume skips rows already written. */
  key: string;
  dataset: string;
  itemId: string;
  contextGroup: string;
  condition: BenchCondition;
  testBudget: TestTimeBudget;
  /** null for conditions without a sleep-time phase (`sleep-time` and `sleep-time-no-question` have one). */
  sleepBudget: SleepTimeBudget | null;
  /** pass-at-k only: the number of samples. */
  samples?: number;
  seed: number;
  model: string;
  expected: number;
  /** The extracted final answer (for pass-at-k: of the first correct sample, else the first). */
  final: number | null;
  correct: boolean;
  /** Test-time usage of this query (pass-at-k: summed over the samples). */
  testUsage: Usage;
  /** Identifies the sleep-time run this row used, so amortized cost counts each run once. */
  sleepRunKey: string | null;
  /** Usage of that sleep-time run (repeated on every row that used it). */
  sleepUsage: Usage | null;
  /**
   * The memory size limit that sleep run's agents worked under (the grid's `maxMemoryCharacters`;
   * the paper's runs used 5,000): set on rows that read a sleep run made with a limit, absent
   * otherwise (no limit, or no sleep run).
   */
  maxMemoryCharacters?: number;
  latencyMs: number;
  /**
   * A limit cut the test-time answer short (pass-at-k: any sample): the output token limit, or the
   * local model's time limit or repetition guard. Absent when nothing was cut (and in older rows).
   */
  truncatedBy?: TruncationLimit;
  /**
   * The item's context is empty (a one-sentence problem: five of Stateful AIME's), so there was
   * nothing to sleep on: its sleep-time rows were answered as test-time only, without a sleep run
   * (`sleepRunKey` and `sleepUsage` null). Set on every row of such an item; absent otherwise.
   */
  emptyContext?: true;
  /** A row whose model call failed after retries: counted as wrong, reported separately. */
  error?: { code: string; message: string };
  /**
   * Where the model's answers come from (real weights, scripted, random weights), as the runner
   * knew it when it wrote the row; absent in rows written before sleeptime recorded it.
   */
  provenance?: ModelProvenance;
  createdAt: string;
}

/** Log-probability of the query given the context, under a scoring model (SPEC section 2, predictability). */
export interface PredictabilityRow {
  dataset: string;
  itemId: string;
  model: string;
  /** Sum of the query tokens' log-probabilities (natural log). */
  logProbability: number;
  queryTokens: number;
  /** Of the scoring model, as for BenchResultRow; absent in scores written before it was recorded. */
  provenance?: ModelProvenance;
}
