/** Counting over result rows: generated tokens, accuracy, sleep runs counted once, experiments. */
import type { BenchResultRow } from '../bench-types.js';
import type { Usage } from '@sleeptime/core';

/**
 * Tokens the model generated in one usage report; the paper's cost model counts only these.
 *
 * `outputTokens` is the AI SDK's `outputTokens.total`, which already includes reasoning tokens
 * (`reasoningTokens` is the breakdown of that total), so adding the two would count thoughts twice.
 */
export function generatedTokens(usage: Usage): number {
  return usage.outputTokens;
}

/** Accuracy and cost of a set of rows (one cell of the grid, or any other selection). */
export interface RowStatistics {
  rows: number;
  correct: number;
  /** `correct / rows`; rows that failed with an error count as wrong. 0 when there are no rows. */
  accuracy: number;
  /** Mean generated test-time tokens per row. */
  averageTestTokens: number;
  /** Distinct sleep-time runs the rows used (by `sleepRunKey`). */
  sleepRuns: number;
  /** Mean generated tokens per distinct sleep-time run; null when the rows used none. */
  averageSleepTokensPerRun: number | null;
  errors: number;
}

export function rowStatistics(rows: readonly BenchResultRow[]): RowStatistics {
  let correct = 0;
  let testTokens = 0;
  let errors = 0;
  for (const row of rows) {
    if (countsAsCorrect(row)) correct += 1;
    if (row.error !== undefined) errors += 1;
    testTokens += generatedTokens(row.testUsage);
  }
  const runs = distinctSleepRuns(rows);
  const sleepTokens = runs.reduce((sum, run) => sum + run.tokens, 0);
  return {
    rows: rows.length,
    correct,
    accuracy: rows.length === 0 ? 0 : correct / rows.length,
    averageTestTokens: rows.length === 0 ? 0 : testTokens / rows.length,
    sleepRuns: runs.length,
    averageSleepTokensPerRun: runs.length === 0 ? null : sleepTokens / runs.length,
    errors,
  };
}

/** A row is right when graded correct and its call did not fail (a failed row counts as wrong). */
export function countsAsCorrect(row: BenchResultRow): boolean {
  return row.correct && row.error === undefined;
}

export interface SleepRun {
  key: string;
  tokens: number;
}

/**
 * The sleep-time runs behind `rows`, each once: rows that share a `sleepRunKey` share one run and
 * its usage is repeated on each of them. A row with usage but no key is taken as its own run.
 */
export function distinctSleepRuns(rows: readonly BenchResultRow[]): SleepRun[] {
  const runs = new Map<string, SleepRun>();
  rows.forEach((row, index) => {
    if (row.sleepUsage === null) return;
    const key = row.sleepRunKey ?? `row:${row.key}:${index}`;
    if (!runs.has(key)) runs.set(key, { key, tokens: generatedTokens(row.sleepUsage) });
  });
  return [...runs.values()];
}

/** Rows of one dataset answered by one model: the unit every figure is drawn for. */
export interface Experiment {
  dataset: string;
  model: string;
  rows: BenchResultRow[];
}

/** Splits rows by (dataset, model), in order of first appearance. */
export function groupIntoExperiments(rows: readonly BenchResultRow[]): Experiment[] {
  const experiments = new Map<string, Experiment>();
  for (const row of rows) {
    const key = JSON.stringify([row.dataset, row.model]);
    let experiment = experiments.get(key);
    if (experiment === undefined) {
      experiment = { dataset: row.dataset, model: row.model, rows: [] };
      experiments.set(key, experiment);
    }
    experiment.rows.push(row);
  }
  return [...experiments.values()];
}

/** Groups values by a key, keeping the order in which keys first appear. */
export function groupBy<Value>(values: Iterable<Value>, keyOf: (value: Value) => string): Map<string, Value[]> {
  const groups = new Map<string, Value[]>();
  for (const value of values) {
    const key = keyOf(value);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [value]);
    else group.push(value);
  }
  return groups;
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
