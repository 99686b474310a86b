import type { ContextStatistics, RunGroupStatistics } from '@sleeptime/core';
import { describe, expect, it } from 'vitest';
import { contextSavings, overallSavings } from './savings.js';

function group(fields: Partial<RunGroupStatistics> & Pick<RunGroupStatistics, 'kind' | 'status' | 'withLearned' | 'runs'>): RunGroupStatistics {
  return {
    contextId: 't.c',
    usage: { inputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
    durationMs: 0,
    timedRuns: fields.runs,
    timeToFirstTokenMs: 0,
    firstTokenRuns: 0,
    prefixCacheHits: 0,
    lastStartedAt: new Date(0),
    lastFinishedAt: null,
    ...fields,
  };
}

const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens, reasoningTokens: 0 });

function statistics(contextId: string, runs: RunGroupStatistics[]): ContextStatistics {
  return { contextId, learned: null, runs: runs.map((entry) => ({ ...entry, contextId })) };
}

describe('savings: the paper\'s cost model over recorded runs', () => {
  const notes = statistics('t.notes', [
    group({ kind: 'sleep', status: 'succeeded', withLearned: false, runs: 1, usage: usage(400, 180) }),
    // A failed sleep still cost its tokens.
    group({ kind: 'sleep', status: 'failed', withLearned: false, runs: 1, usage: usage(100, 20) }),
    group({ kind: 'ask', status: 'succeeded', withLearned: true, runs: 4, usage: usage(800, 40), durationMs: 400, timeToFirstTokenMs: 80, firstTokenRuns: 4, prefixCacheHits: 3 }),
    group({ kind: 'ask', status: 'succeeded', withLearned: false, runs: 2, usage: usage(300, 100), durationMs: 600 }),
    // Failed asks answered nothing: left out.
    group({ kind: 'ask', status: 'failed', withLearned: true, runs: 5, usage: usage(5000, 5000) }),
  ]);

  it('compares answered asks with and without the learned context, and shares the sleep-time tokens over the questions', () => {
    const savings = contextSavings(notes, 10);
    expect(savings.sleep).toEqual({ runs: 2, inputTokens: 500, outputTokens: 200 });
    expect(savings.withLearned).toEqual({ asks: 4, meanOutputTokens: 10, meanInputTokens: 200, meanLatencyMs: 100, meanTimeToFirstTokenMs: 20, prefixCacheHits: 3 });
    expect(savings.baseline).toEqual({ asks: 2, meanOutputTokens: 50, meanInputTokens: 150, meanLatencyMs: 300, meanTimeToFirstTokenMs: null, prefixCacheHits: 0 });
    expect(savings.comparable).toBe(true);
    expect(savings.outputTokensSaved).toBe(40);
    expect(savings.latencyMsSaved).toBe(200);
    // 200 / 4 + 10 * 10 = 150, against 10 * 50 = 500.
    expect(savings.costPerQuestion).toEqual({ withLearned: 150, baseline: 500, questions: 4 });
    expect(contextSavings(notes, 1).costPerQuestion).toEqual({ withLearned: 60, baseline: 50, questions: 4 });
  });

  it('has nothing to compare on a side without answered asks', () => {
    const onlyLearned = statistics('t.only', [group({ kind: 'ask', status: 'succeeded', withLearned: true, runs: 1, usage: usage(10, 5) })]);
    expect(contextSavings(onlyLearned)).toMatchObject({ comparable: false, outputTokensSaved: null, latencyMsSaved: null, costPerQuestion: null, baseline: { asks: 0, meanOutputTokens: null } });
    expect(contextSavings(undefined)).toMatchObject({ comparable: false, sleep: { runs: 0 } });
  });

  it('pools only the contexts with both sides overall', () => {
    const other = statistics('t.other', [
      group({ kind: 'sleep', status: 'succeeded', withLearned: false, runs: 1, usage: usage(0, 100) }),
      group({ kind: 'ask', status: 'succeeded', withLearned: true, runs: 1, usage: usage(0, 20) }),
      group({ kind: 'ask', status: 'succeeded', withLearned: false, runs: 2, usage: usage(0, 60) }),
    ]);
    const onlyBaseline = statistics('t.lonely', [group({ kind: 'ask', status: 'succeeded', withLearned: false, runs: 7, usage: usage(0, 7000) })]);
    const overall = overallSavings([notes, other, onlyBaseline], 10);
    expect(overall.contexts).toBe(2);
    expect(overall.withLearned.asks).toBe(5);
    expect(overall.baseline.asks).toBe(4);
    // (200 + 100) / 5 + 10 * (60 / 5) = 180; 10 * (160 / 4) = 400.
    expect(overall.costPerQuestion).toEqual({ withLearned: 180, baseline: 400, questions: 5 });
  });
});
