/**
 * What a learned context saved, from a context's run statistics: the test-time tokens and latency
 * of asks answered with the learned context against asks answered test-time only (the baseline),
 * and the paper's amortized cost per question (Lin et al., 2025, section 5.3): only generated
 * tokens count, and a test-time token costs `t` sleep-time tokens, so with N questions sharing the
 * sleep-time cost
 *
 *     cost per question = sleep_tokens / N + t * mean test_tokens        (with the learned context)
 *     cost per question =                    t * mean test_tokens        (test-time only)
 *
 * Sleep-time tokens are those of every sleep run of the context, failed ones included (they were
 * spent); N is the number of questions answered with a learned context. Only answered asks count
 * on either side. Pure: the routes read the statistics through the engine and call this.
 */
import type { ContextStatistics, RunGroupStatistics } from '@sleeptime/core';

/** The paper's default `t`. */
export const defaultTestTokenWeight = 10;

/** One side of the comparison: answered asks, with means per ask (null when there are none). */
export interface AskSide {
  asks: number;
  /** Generated tokens (output, reasoning included): the paper's test-time tokens. */
  meanOutputTokens: number | null;
  meanInputTokens: number | null;
  meanLatencyMs: number | null;
  meanTimeToFirstTokenMs: number | null;
  prefixCacheHits: number;
}

export interface Savings {
  sleep: { runs: number; inputTokens: number; outputTokens: number };
  withLearned: AskSide;
  baseline: AskSide;
  /** Both sides have answered asks: the numbers below are set. */
  comparable: boolean;
  /** Baseline mean minus with-learned mean, per question (positive: the learned context saved). */
  outputTokensSaved: number | null;
  latencyMsSaved: number | null;
  /** The amortized cost per question in sleep-time-token units, with N the with-learned asks. */
  costPerQuestion: { withLearned: number; baseline: number; questions: number } | null;
}

interface Sums {
  asks: number;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
  timedRuns: number;
  timeToFirstTokenMs: number;
  firstTokenRuns: number;
  prefixCacheHits: number;
}

interface ContextSums {
  sleepRuns: number;
  sleepInputTokens: number;
  sleepOutputTokens: number;
  withLearned: Sums;
  baseline: Sums;
}

const emptySums = (): Sums => ({ asks: 0, inputTokens: 0, outputTokens: 0, durationMs: 0, timedRuns: 0, timeToFirstTokenMs: 0, firstTokenRuns: 0, prefixCacheHits: 0 });

function addGroup(sums: Sums, group: RunGroupStatistics): void {
  sums.asks += group.runs;
  sums.inputTokens += group.usage.inputTokens;
  sums.outputTokens += group.usage.outputTokens;
  sums.durationMs += group.durationMs;
  sums.timedRuns += group.timedRuns;
  sums.timeToFirstTokenMs += group.timeToFirstTokenMs;
  sums.firstTokenRuns += group.firstTokenRuns;
  sums.prefixCacheHits += group.prefixCacheHits;
}

function addSums(into: Sums, from: Sums): void {
  for (const key of Object.keys(into) as (keyof Sums)[]) into[key] += from[key];
}

function sumsOf(groups: readonly RunGroupStatistics[]): ContextSums {
  const sums: ContextSums = { sleepRuns: 0, sleepInputTokens: 0, sleepOutputTokens: 0, withLearned: emptySums(), baseline: emptySums() };
  for (const group of groups) {
    if (group.kind === 'sleep') {
      sums.sleepRuns += group.runs;
      sums.sleepInputTokens += group.usage.inputTokens;
      sums.sleepOutputTokens += group.usage.outputTokens;
    } else if (group.status === 'succeeded') {
      addGroup(group.withLearned ? sums.withLearned : sums.baseline, group);
    }
  }
  return sums;
}

const mean = (total: number, count: number) => (count === 0 ? null : total / count);

function side(sums: Sums): AskSide {
  return {
    asks: sums.asks,
    meanOutputTokens: mean(sums.outputTokens, sums.asks),
    meanInputTokens: mean(sums.inputTokens, sums.asks),
    meanLatencyMs: mean(sums.durationMs, sums.timedRuns),
    meanTimeToFirstTokenMs: mean(sums.timeToFirstTokenMs, sums.firstTokenRuns),
    prefixCacheHits: sums.prefixCacheHits,
  };
}

function savingsOf(sums: ContextSums, testTokenWeight: number): Savings {
  const withLearned = side(sums.withLearned);
  const baseline = side(sums.baseline);
  const comparable = withLearned.asks > 0 && baseline.asks > 0;
  const difference = (a: number | null, b: number | null) => (comparable && a !== null && b !== null ? a - b : null);
  return {
    sleep: { runs: sums.sleepRuns, inputTokens: sums.sleepInputTokens, outputTokens: sums.sleepOutputTokens },
    withLearned,
    baseline,
    comparable,
    outputTokensSaved: difference(baseline.meanOutputTokens, withLearned.meanOutputTokens),
    latencyMsSaved: difference(baseline.meanLatencyMs, withLearned.meanLatencyMs),
    costPerQuestion:
      comparable && withLearned.meanOutputTokens !== null && baseline.meanOutputTokens !== null
        ? {
            withLearned: sums.sleepOutputTokens / withLearned.asks + testTokenWeight * withLearned.meanOutputTokens,
            baseline: testTokenWeight * baseline.meanOutputTokens,
            questions: withLearned.asks,
          }
        : null,
  };
}

/** The savings of one context. */
export function contextSavings(statistics: ContextStatistics | undefined, testTokenWeight: number = defaultTestTokenWeight): Savings {
  return savingsOf(sumsOf(statistics?.runs ?? []), testTokenWeight);
}

/**
 * The savings over many contexts: only those where both sides exist are pooled (the others have
 * nothing to compare), their sleep-time tokens shared over all their with-learned questions.
 */
export function overallSavings(statistics: readonly ContextStatistics[], testTokenWeight: number = defaultTestTokenWeight): Savings & { contexts: number } {
  const pooled: ContextSums = { sleepRuns: 0, sleepInputTokens: 0, sleepOutputTokens: 0, withLearned: emptySums(), baseline: emptySums() };
  let contexts = 0;
  for (const entry of statistics) {
    const sums = sumsOf(entry.runs);
    if (sums.withLearned.asks === 0 || sums.baseline.asks === 0) continue;
    contexts += 1;
    pooled.sleepRuns += sums.sleepRuns;
    pooled.sleepInputTokens += sums.sleepInputTokens;
    pooled.sleepOutputTokens += sums.sleepOutputTokens;
    addSums(pooled.withLearned, sums.withLearned);
    addSums(pooled.baseline, sums.baseline);
  }
  return { contexts, ...savingsOf(pooled, testTokenWeight) };
}
