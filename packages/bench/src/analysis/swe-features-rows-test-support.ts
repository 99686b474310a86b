/** SWE-Features result rows made up for the analysis and report tests. */
import type { SweFeaturesResultRow } from '../swe-features/swe-features-result-row.js';

export interface SweRowSpec {
  item: number;
  condition: 'test-time-only' | 'sleep-time';
  steps: number;
  f1: number;
  tokens: number;
  seed?: number;
  sleepTokens?: number;
  error?: boolean;
}

export function sweRow(spec: SweRowSpec): SweFeaturesResultRow {
  const sleep = spec.condition === 'sleep-time';
  return {
    benchmark: 'swe-features',
    key: `${spec.item}-${spec.condition}-${spec.steps}-${spec.seed ?? 0}`,
    dataset: 'swe-features',
    itemId: `item-${spec.item}`,
    repositoryName: 'reports',
    baseCommit: 'abc',
    condition: spec.condition,
    stepBudget: spec.steps,
    sleepBudget: sleep ? { parallel: 1 } : null,
    seed: spec.seed ?? 0,
    model: 'mock:scripted',
    stepsUsed: Math.min(spec.steps, 3),
    stopReason: spec.error === true ? null : 'done',
    editedFiles: [],
    goldFiles: ['a.ts'],
    precision: spec.f1,
    recall: spec.f1,
    f1: spec.f1,
    toolCalls: 3,
    failedToolCalls: 0,
    testUsage: { inputTokens: 10 * spec.tokens, outputTokens: spec.tokens, reasoningTokens: 0 },
    sleepRunKey: sleep ? `sleep-${spec.item}-${spec.seed ?? 0}` : null,
    sleepUsage: sleep ? { inputTokens: 0, outputTokens: spec.sleepTokens ?? 500, reasoningTokens: 0 } : null,
    latencyMs: 1,
    ...(spec.error === true ? { error: { code: 'upstream_unavailable', message: 'down' } } : {}),
    provenance: { kind: 'scripted', source: 'model' },
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

/** `items` items: test-time only at 5 steps (F1 .3, 1,000 tokens) and 10 steps (F1 .4/.6, 2,000 tokens); sleep-time at 5 steps (F1 .4/.6, 1,200 tokens) and 10 (F1 .9, 1,500 tokens). */
export function gridRows(items: number): SweFeaturesResultRow[] {
  return Array.from({ length: items }, (_, item) => {
    const alternating = item % 2 === 0 ? 0.4 : 0.6;
    return [
      sweRow({ item, condition: 'test-time-only', steps: 5, f1: 0.3, tokens: 1000 }),
      sweRow({ item, condition: 'test-time-only', steps: 10, f1: alternating, tokens: 2000 }),
      sweRow({ item, condition: 'sleep-time', steps: 5, f1: alternating, tokens: 1200 }),
      sweRow({ item, condition: 'sleep-time', steps: 10, f1: 0.9, tokens: 1500 }),
    ];
  }).flat();
}
