/**
 * Analysis (c): average cost per query against the number of queries N asked about one context,
 * with the paper's cost model: only generated tokens count, and a test-time token costs `t` times
 * a sleep-time token (latency-optimized serving), so
 *
 *     cost per query = sleep_tokens / N + t * test_tokens.
 *
 * Two kinds of curve, each for sleep-time (per sleep-time budget) and test-time only, at one
 * test-time budget:
 * - `analytical`: the formula for N = 1..maxQueriesPerContext, with the mean tokens of a sleep-time
 *   run and the mean test-time tokens of a query over all the rows;
 * - `measured`: from contexts that really had several queries (Multi-Query GSM-Symbolic). For each
 *   context with at least N answered queries, the expected cost per query over every choice of N of
 *   them: the context's sleep-time tokens (each run once, by `sleepRunKey`) over N, plus t times the
 *   mean test-time tokens of its queries; then averaged over those contexts.
 */
import type { BenchCondition, BenchResultRow, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';
import { accuracyIntervals, type AccuracyInterval, type AccuracyIntervals } from './accuracy-intervals.js';
import { compareSleepBudgets, compareTestBudgets, testBudgetKey, testBudgetLabel } from './budgets.js';
import { seriesKey, seriesLabel } from './accuracy-versus-tokens.js';
import { distinctSleepRuns, generatedTokens, groupBy, mean, rowStatistics } from './row-statistics.js';

export const DEFAULT_TEST_TOKEN_WEIGHT = 10;
export const DEFAULT_MAX_QUERIES_PER_CONTEXT = 10;

/** The paper's cost of one query when a sleep-time run of `sleepTokens` serves `queriesPerContext` queries. */
export function amortizedCostPerQuery(
  sleepTokens: number,
  testTokens: number,
  queriesPerContext: number,
  testTokenWeight: number = DEFAULT_TEST_TOKEN_WEIGHT,
): number {
  if (!(queriesPerContext >= 1)) throw new RangeError(`queriesPerContext must be at least 1, got ${queriesPerContext}`);
  return sleepTokens / queriesPerContext + testTokenWeight * testTokens;
}

export interface AmortizedCostOptions {
  /** `t`, the price of a test-time token in sleep-time tokens. Default 10. */
  testTokenWeight?: number;
  /** The analytical curves run N = 1..this. Default 10. */
  maxQueriesPerContext?: number;
  /** Compare at this test-time budget. Default: the cheapest one with both sleep-time and test-time-only rows. */
  testBudget?: TestTimeBudget;
  /** The bootstrap behind each series' accuracy interval. Default: `accuracyIntervals()`. */
  intervals?: AccuracyIntervals;
}

export interface CostPoint {
  queriesPerContext: number;
  costPerQuery: number;
  /** Measured curves: how many contexts had at least this many queries. */
  contexts: number | null;
}

export interface CostSeries {
  key: string;
  label: string;
  condition: Extract<BenchCondition, 'sleep-time' | 'test-time-only'>;
  sleepBudget: SleepTimeBudget | null;
  kind: 'analytical' | 'measured';
  accuracy: number;
  /** Bootstrap interval of `accuracy` over the series' contexts. */
  accuracyInterval: AccuracyInterval;
  averageTestTokens: number;
  averageSleepTokensPerRun: number | null;
  points: CostPoint[];
}

export interface AmortizedCostAnalysis {
  testTokenWeight: number;
  /** null when no test-time budget has both conditions. */
  testBudget: TestTimeBudget | null;
  testBudgetLabel: string | null;
  /** Most queries any one context had at that budget: 1 means no multi-query data. */
  mostQueriesPerContext: number;
  series: CostSeries[];
}

export function amortizedCostAnalysis(rows: readonly BenchResultRow[], options: AmortizedCostOptions = {}): AmortizedCostAnalysis {
  const testTokenWeight = options.testTokenWeight ?? DEFAULT_TEST_TOKEN_WEIGHT;
  const maxQueries = options.maxQueriesPerContext ?? DEFAULT_MAX_QUERIES_PER_CONTEXT;
  const intervals = options.intervals ?? accuracyIntervals();
  if (!(testTokenWeight >= 0) || !Number.isFinite(testTokenWeight)) throw new RangeError(`testTokenWeight must be a finite number >= 0, got ${testTokenWeight}`);
  if (!Number.isInteger(maxQueries) || maxQueries < 1) throw new RangeError(`maxQueriesPerContext must be a positive integer, got ${maxQueries}`);

  const testBudget = options.testBudget ?? cheapestSharedTestBudget(rows);
  if (testBudget === null) return { testTokenWeight, testBudget: null, testBudgetLabel: null, mostQueriesPerContext: 0, series: [] };
  const budgetKey = testBudgetKey(testBudget);
  const atBudget = rows.filter(
    (row) => (row.condition === 'sleep-time' || row.condition === 'test-time-only') && testBudgetKey(row.testBudget) === budgetKey,
  );

  const series: CostSeries[] = [];
  let mostQueriesPerContext = 0;
  const bySeries = groupBy(atBudget, (row) => seriesKey(row.condition, row.sleepBudget));
  const ordered = [...bySeries.values()].sort((a, b) =>
    compareSleepBudgets((a[0] as BenchResultRow).sleepBudget, (b[0] as BenchResultRow).sleepBudget),
  );
  for (const seriesRows of ordered) {
    const first = seriesRows[0] as BenchResultRow;
    const condition = first.condition as CostSeries['condition'];
    const sleepBudget = condition === 'sleep-time' ? first.sleepBudget : null;
    const statistics = rowStatistics(seriesRows);
    const sleepTokensPerRun = condition === 'sleep-time' ? (statistics.averageSleepTokensPerRun ?? 0) : 0;
    const common = {
      condition,
      sleepBudget,
      accuracy: statistics.accuracy,
      accuracyInterval: intervals.of(seriesRows),
      averageTestTokens: statistics.averageTestTokens,
      averageSleepTokensPerRun: condition === 'sleep-time' ? statistics.averageSleepTokensPerRun : null,
    };
    const key = seriesKey(condition, sleepBudget);
    const label = seriesLabel(condition, sleepBudget);
    series.push({
      ...common,
      key: `${key}|analytical`,
      label,
      kind: 'analytical',
      points: Array.from({ length: maxQueries }, (_, index) => ({
        queriesPerContext: index + 1,
        costPerQuery: amortizedCostPerQuery(sleepTokensPerRun, statistics.averageTestTokens, index + 1, testTokenWeight),
        contexts: null,
      })),
    });
    const measured = measuredCostPoints(seriesRows, testTokenWeight, condition === 'sleep-time');
    mostQueriesPerContext = Math.max(mostQueriesPerContext, measured.length);
    series.push({ ...common, key: `${key}|measured`, label, kind: 'measured', points: measured });
  }
  return { testTokenWeight, testBudget, testBudgetLabel: testBudgetLabel(testBudget), mostQueriesPerContext, series };
}

/** One point per N from 1 to the largest context's query count (see the module comment). */
function measuredCostPoints(rows: readonly BenchResultRow[], testTokenWeight: number, countSleep: boolean): CostPoint[] {
  // Different seeds are different sleep-time runs of the same context: separate contexts here.
  const contexts = [...groupBy(rows, (row) => JSON.stringify([row.contextGroup, row.seed])).values()].map((contextRows) => {
    const queries = [...groupBy(contextRows, (row) => row.itemId).values()].map((sameItem) => sameItem[0] as BenchResultRow);
    return {
      queries: queries.length,
      sleepTokens: countSleep ? distinctSleepRuns(contextRows).reduce((sum, run) => sum + run.tokens, 0) : 0,
      meanTestTokens: mean(queries.map((row) => generatedTokens(row.testUsage))) ?? 0,
    };
  });
  const largest = Math.max(0, ...contexts.map((context) => context.queries));
  const points: CostPoint[] = [];
  for (let queriesPerContext = 1; queriesPerContext <= largest; queriesPerContext += 1) {
    const eligible = contexts.filter((context) => context.queries >= queriesPerContext);
    const costs = eligible.map((context) =>
      amortizedCostPerQuery(context.sleepTokens, context.meanTestTokens, queriesPerContext, testTokenWeight),
    );
    points.push({ queriesPerContext, costPerQuery: mean(costs) ?? 0, contexts: eligible.length });
  }
  return points;
}

function cheapestSharedTestBudget(rows: readonly BenchResultRow[]): TestTimeBudget | null {
  const sleepBudgets = new Set(rows.filter((row) => row.condition === 'sleep-time').map((row) => testBudgetKey(row.testBudget)));
  const shared = rows
    .filter((row) => row.condition === 'test-time-only' && sleepBudgets.has(testBudgetKey(row.testBudget)))
    .map((row) => row.testBudget)
    .sort(compareTestBudgets);
  return shared[0] ?? null;
}
