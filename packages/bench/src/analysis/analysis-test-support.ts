/** Hand-made result rows for the analysis and report tests. */
import type { ModelProvenance } from '@sleeptime/core';
import type { BenchCondition, BenchResultRow, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';

export interface RowSketch {
  itemId: string;
  condition: BenchCondition;
  correct: boolean;
  testTokens: number;
  testBudget?: TestTimeBudget;
  sleepBudget?: SleepTimeBudget | null;
  sleepTokens?: number;
  sleepRunKey?: string | null;
  contextGroup?: string;
  samples?: number;
  seed?: number;
  dataset?: string;
  model?: string;
  reasoningTokens?: number;
  error?: { code: string; message: string };
  /** As the runner records it; absent: a row written before provenance was recorded. */
  provenance?: ModelProvenance | undefined;
}

/** A complete row from a sketch; only what the sketch says varies, the rest is fixed. */
export function makeRow(sketch: RowSketch): BenchResultRow {
  const sleepBudget = sketch.sleepBudget ?? (sketch.condition === 'sleep-time' ? { parallel: 1 } : null);
  const testBudget = sketch.testBudget ?? { verbosity: 0 };
  const contextGroup = sketch.contextGroup ?? sketch.itemId;
  const seed = sketch.seed ?? 0;
  const hasSleep = sleepBudget !== null;
  return {
    key: JSON.stringify([sketch.itemId, sketch.condition, testBudget, sleepBudget, sketch.samples ?? null, seed]),
    dataset: sketch.dataset ?? 'gsm-symbolic-p1',
    itemId: sketch.itemId,
    contextGroup,
    condition: sketch.condition,
    testBudget,
    sleepBudget,
    ...(sketch.samples === undefined ? {} : { samples: sketch.samples }),
    seed,
    model: sketch.model ?? 'openai:gpt-4o-mini',
    expected: 1,
    final: sketch.correct ? 1 : 2,
    correct: sketch.correct,
    testUsage: { inputTokens: 500, outputTokens: sketch.testTokens, reasoningTokens: sketch.reasoningTokens ?? 0 },
    sleepRunKey: hasSleep ? (sketch.sleepRunKey === undefined ? `${contextGroup}|${JSON.stringify(sleepBudget)}|${seed}` : sketch.sleepRunKey) : null,
    sleepUsage: hasSleep ? { inputTokens: 800, outputTokens: sketch.sleepTokens ?? 0, reasoningTokens: 0 } : null,
    latencyMs: 10,
    ...(sketch.error === undefined ? {} : { error: sketch.error }),
    ...(sketch.provenance === undefined ? {} : { provenance: sketch.provenance }),
    createdAt: '2026-11-27T00:00:00.000Z',
  };
}

/**
 * `correctCount` of `total` rows correct, each with `testTokens`, items `prefix-0..total-1`: a cell
 * of the grid with a known accuracy.
 */
export function makeCell(
  prefix: string,
  total: number,
  correctCount: number,
  base: Omit<RowSketch, 'itemId' | 'correct'>,
): BenchResultRow[] {
  return Array.from({ length: total }, (_, index) => makeRow({ ...base, itemId: `${prefix}-${index}`, correct: index < correctCount }));
}
