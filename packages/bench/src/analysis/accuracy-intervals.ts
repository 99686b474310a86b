/**
 * Confidence intervals of accuracies, by the percentile bootstrap over contexts.
 *
 * The unit resampled is the context (`dataset`, `contextGroup`), not the row: every row of a
 * context is drawn together, its seeds and, on a multi-query dataset, all its questions, since they
 * share the context and its sleep-time run and do not vary independently. On a single-question
 * dataset a context is an item. Units are taken in a fixed order (sorted by key), so the interval
 * does not depend on the order of the rows in the results file.
 *
 * A combination of accuracies (a difference at the same budget, the mix of two budgets read off a
 * Pareto front) is resampled paired: the same contexts are drawn for every term.
 */
import type { BenchResultRow } from '../bench-types.js';
import { bootstrapInterval, bootstrapSettings, DEFAULT_BOOTSTRAP_SETTINGS, type BootstrapOptions, type BootstrapSettings, type Interval } from './bootstrap.js';
import { countsAsCorrect } from './row-statistics.js';

export interface AccuracyInterval extends Interval {
  /** Contexts resampled: the independent units behind the interval. */
  contexts: number;
}

/** The unit of resampling a row belongs to. */
export function contextKey(row: BenchResultRow): string {
  return JSON.stringify([row.dataset, row.contextGroup]);
}

/** The interval of the accuracy of `rows` (rows that failed count as wrong, as in `rowStatistics`). */
export function accuracyInterval(rows: readonly BenchResultRow[], settings: BootstrapSettings = DEFAULT_BOOTSTRAP_SETTINGS): AccuracyInterval {
  return accuracyCombinationInterval([{ rows, weight: 1 }], settings) ?? { lower: 0, upper: 0, contexts: 0 };
}

export interface AccuracyTerm {
  rows: readonly BenchResultRow[];
  weight: number;
}

/**
 * The interval of a weighted sum of accuracies, `sum(weight * accuracy(rows))`, resampling the
 * contexts of all the terms together. Null when a term has no rows.
 */
export function accuracyCombinationInterval(terms: readonly AccuracyTerm[], settings: BootstrapSettings = DEFAULT_BOOTSTRAP_SETTINGS): AccuracyInterval | null {
  return meanCombinationInterval(terms, { unitOf: contextKey, valueOf: (row) => (countsAsCorrect(row) ? 1 : 0) }, settings);
}

export interface MeanTerm<Row> {
  rows: readonly Row[];
  weight: number;
}

/**
 * The interval of a weighted sum of means, `sum(weight * mean(valueOf(row) over rows))`, resampling
 * the units (`unitOf`) of all the terms together: an accuracy is the mean of 1 for right and 0 for
 * wrong over contexts; SWE-Features' F1 is the mean of the rows' F1 over items. Null when a term has
 * no rows.
 */
export function meanCombinationInterval<Row>(
  terms: ReadonlyArray<MeanTerm<Row>>,
  measure: { unitOf: (row: Row) => string; valueOf: (row: Row) => number },
  settings: BootstrapSettings = DEFAULT_BOOTSTRAP_SETTINGS,
): AccuracyInterval | null {
  if (terms.length === 0 || terms.some((term) => term.rows.length === 0)) return null;
  // One unit per context: [sum of values, rows] for each term, in term order.
  const units = new Map<string, number[]>();
  terms.forEach((term, index) => {
    for (const row of term.rows) {
      const key = measure.unitOf(row);
      let unit = units.get(key);
      if (unit === undefined) {
        unit = new Array<number>(terms.length * 2).fill(0);
        units.set(key, unit);
      }
      unit[index * 2] = (unit[index * 2] as number) + measure.valueOf(row);
      unit[index * 2 + 1] = (unit[index * 2 + 1] as number) + 1;
    }
  });
  const ordered = [...units.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, unit]) => unit);
  const weights = terms.map((term) => term.weight);
  const interval = bootstrapInterval(
    ordered,
    (totals) => {
      let value = 0;
      for (let index = 0; index < weights.length; index += 1) {
        const rows = totals[index * 2 + 1] as number;
        if (rows === 0) return Number.NaN;
        value += (weights[index] as number) * ((totals[index * 2] as number) / rows);
      }
      return value;
    },
    settings,
  );
  return interval === null ? null : { ...interval, contexts: ordered.length };
}

/**
 * Intervals with one bootstrap setting, each computed once: the same cell appears in the summary
 * table and in several figures, and a bootstrap over thousands of contexts is worth not repeating.
 * The analyses of one results file share one of these.
 */
export interface AccuracyIntervals {
  readonly settings: BootstrapSettings;
  /** `accuracyInterval`. */
  of(rows: readonly BenchResultRow[]): AccuracyInterval;
  /** `accuracyCombinationInterval`. */
  ofCombination(terms: readonly AccuracyTerm[]): AccuracyInterval | null;
}

export function accuracyIntervals(options: BootstrapOptions = {}): AccuracyIntervals {
  const settings = bootstrapSettings(options);
  // Rows are recognised by identity: the analyses pass around the same row objects.
  const rowIds = new WeakMap<BenchResultRow, number>();
  let nextId = 0;
  const idOf = (row: BenchResultRow) => {
    let id = rowIds.get(row);
    if (id === undefined) {
      id = nextId;
      nextId += 1;
      rowIds.set(row, id);
    }
    return id;
  };
  const known = new Map<string, AccuracyInterval | null>();
  const ofCombination = (terms: readonly AccuracyTerm[]) => {
    const key = terms.map((term) => `${term.weight}:${term.rows.map(idOf).sort((a, b) => a - b).join(',')}`).join('|');
    if (!known.has(key)) known.set(key, accuracyCombinationInterval(terms, settings));
    return known.get(key) ?? null;
  };
  return {
    settings,
    of: (rows) => ofCombination([{ rows, weight: 1 }]) ?? { lower: 0, upper: 0, contexts: 0 },
    ofCombination,
  };
}
