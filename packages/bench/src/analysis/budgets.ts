/**
 * Canonical keys, labels and orderings of test-time and sleep-time budgets, so every analysis
 * groups rows the same way and every figure lists budgets from cheapest to dearest.
 */
import type { SleepTimeBudget, TestTimeBudget } from '../bench-types.js';

const EFFORT_RANK = { low: 0, medium: 1, high: 2 } as const;

/** A stable key: the same budget written with its fields in any order gives the same key. */
export function testBudgetKey(budget: TestTimeBudget): string {
  const parts: string[] = [];
  if (budget.verbosity !== undefined) parts.push(`verbosity=${budget.verbosity}`);
  if (budget.effort !== undefined) parts.push(`effort=${budget.effort}`);
  if (budget.thinkingBudget !== undefined) parts.push(`thinking=${budget.thinkingBudget}`);
  const forcing = budget.budgetForcing;
  if (forcing !== undefined) parts.push(forcing.mode === 'cap' ? `forced=cap:${forcing.thinkingTokens}` : `forced=extend:${forcing.thinkingTokens}x${forcing.waits}`);
  return parts.length === 0 ? 'default' : parts.join(',');
}

export function testBudgetLabel(budget: TestTimeBudget): string {
  const parts: string[] = [];
  if (budget.verbosity !== undefined) parts.push(`verbosity ${budget.verbosity}`);
  if (budget.effort !== undefined) parts.push(`effort ${budget.effort}`);
  if (budget.thinkingBudget !== undefined) parts.push(`thinking ${budget.thinkingBudget}`);
  const forcing = budget.budgetForcing;
  if (forcing !== undefined)
    parts.push(forcing.mode === 'cap' ? `forced thinking ${forcing.thinkingTokens}` : `forced thinking ${forcing.thinkingTokens}, ${forcing.waits} wait${forcing.waits === 1 ? '' : 's'}`);
  return parts.length === 0 ? 'default budget' : parts.join(', ');
}

/** Cheapest first: by verbosity, then effort, then thinking budget (forced or not), then "Wait"s; an unset field sorts first. */
export function compareTestBudgets(a: TestTimeBudget, b: TestTimeBudget): number {
  return (
    compareOptional(a.verbosity, b.verbosity) ||
    compareOptional(effortRank(a.effort), effortRank(b.effort)) ||
    compareOptional(a.thinkingBudget ?? a.budgetForcing?.thinkingTokens, b.thinkingBudget ?? b.budgetForcing?.thinkingTokens) ||
    compareOptional(forcedWaits(a), forcedWaits(b))
  );
}

/** 0 for a cap, the waits allowed for an extension; unset without forcing. */
function forcedWaits(budget: TestTimeBudget): number | undefined {
  const forcing = budget.budgetForcing;
  return forcing === undefined ? undefined : forcing.mode === 'cap' ? 0 : forcing.waits;
}

/** `none` for conditions without a sleep-time phase. */
export function sleepBudgetKey(budget: SleepTimeBudget | null): string {
  if (budget === null) return 'none';
  return budget.effort === undefined ? `k=${budget.parallel}` : `k=${budget.parallel},effort=${budget.effort}`;
}

export function sleepBudgetLabel(budget: SleepTimeBudget | null): string {
  if (budget === null) return 'no sleep';
  return budget.effort === undefined ? `k=${budget.parallel}` : `k=${budget.parallel}, effort ${budget.effort}`;
}

/** No sleep first, then by sleep effort, then by the number of parallel runs. */
export function compareSleepBudgets(a: SleepTimeBudget | null, b: SleepTimeBudget | null): number {
  if (a === null || b === null) return (a === null ? 0 : 1) - (b === null ? 0 : 1);
  return compareOptional(effortRank(a.effort), effortRank(b.effort)) || a.parallel - b.parallel;
}

function effortRank(effort: TestTimeBudget['effort']): number | undefined {
  return effort === undefined ? undefined : EFFORT_RANK[effort];
}

function compareOptional(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 0 : 1) - (b === undefined ? 0 : 1);
  return a - b;
}
