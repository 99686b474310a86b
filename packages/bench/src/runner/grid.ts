/**
 * The benchmark grid: which cells to run. A cell is one item under one condition, one test-time
 * budget, one sleep-time budget (sleep-time cells only), one sample count (pass@k only) and one seed:
 *
 * - `test-time-only`, `context-only`: every test-time budget;
 * - `sleep-time`, `sleep-time-no-question`: every test-time budget x every sleep-time budget (the
 *   two read the same sleep runs);
 * - `pass-at-k`: the lowest test-time budget only, once per k in `passAtK` (SPEC section 2).
 *
 * Each cell has a deterministic row key, so a resumed run can tell which cells are done, and sleep-
 * time cells name the shared sleep run they read (one per context group, sleep budget, seed, model).
 * An item whose context is empty (five AIME problems are one sentence) has nothing to sleep on: its
 * sleep-time cells read no sleep run and are answered as test-time only (`sleepRunKey: null`), and
 * the two ablations, which would have nothing to answer from, leave it out (counted as skipped).
 */
import { z } from 'zod';
import { budgetForcingSchema, MAX_BUDGET_FORCING_WAITS, userError, type BudgetForcing } from '@sleeptime/core';
import { defaultParallelSleepTemperature } from '@sleeptime/core';
import { defaultMaxRewrites, defaultVerbosity } from '@sleeptime/core';
import type { BenchCondition, BenchItem, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';
import { benchPromptsDigest, memoryLimitPromptDigest, questionWithheldPromptDigest, sleepPromptDigest } from './bench-prompts.js';
import { contentHash, sha256Hex } from './canonical-json.js';
import { answerVerbosityFor, sleepPromptStyleFor } from './dataset-prompts.js';

/** Every condition a grid may name. */
export const benchConditions: readonly BenchCondition[] = ['test-time-only', 'sleep-time', 'context-only', 'sleep-time-no-question', 'pass-at-k'];
/** The conditions of a grid that names none: all but the released ablation, which is asked for by name. */
export const defaultBenchConditions: readonly BenchCondition[] = ['test-time-only', 'sleep-time', 'context-only', 'pass-at-k'];
export const defaultVerbosityLevels = [0, 1, 2, 3, 4] as const;
export const defaultParallelSleepRuns = [1, 2, 5, 10] as const;
/** pass@k samples need diversity; temperature 0 would draw the same answer k times. */
export const defaultSamplingTemperature = 0.7;

// The pieces below marked exported are shared with the SWE-Features grid (swe-features-grid.ts).
export const effortSchema = z.enum(['low', 'medium', 'high']);
const verbositySchema = z.literal([0, 1, 2, 3, 4]);
export const positiveInteger = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
// The engine accepts at most 16 parallel sleep runs.
const parallelSchema = z.number().int().min(1).max(16);
// OpenAI and most servers take a 32-bit seed.
export const seedSchema = z.number().int().min(0).max(2 ** 31 - 1);

/** Budget forcing sets the thinking budget itself: a budget that has it has neither of these. */
const noThinkingBesidesForcing = (budget: { effort?: unknown; thinkingBudget?: unknown; budgetForcing?: unknown }) =>
  budget.budgetForcing === undefined || (budget.effort === undefined && budget.thinkingBudget === undefined);
const forcingConflict = 'budgetForcing sets the thinking budget itself: give it without effort or thinkingBudget';

const testBudgetSchema = z
  .strictObject({
    verbosity: verbositySchema.optional(),
    effort: effortSchema.optional(),
    thinkingBudget: positiveInteger.optional(),
    /** Budget forcing (s1): `{ mode: 'cap' | 'extend', thinkingTokens, waits? }` (see @sleeptime/core's budget-forcing.ts). */
    budgetForcing: budgetForcingSchema.optional(),
  })
  .refine((budget) => Object.values(budget).some((value) => value !== undefined), 'a test-time budget needs verbosity, effort, thinkingBudget or budgetForcing')
  .refine(noThinkingBesidesForcing, forcingConflict);

/**
 * The budget-forcing axis: one forced thinking budget per value of `budgets`, all in one mode
 * (`extend` with `waits` "Wait"s at most, default 1).
 */
const budgetForcingAxisSchema = z
  .strictObject({
    mode: z.enum(['cap', 'extend']),
    budgets: z.array(positiveInteger).min(1),
    waits: z.number().int().min(1).max(MAX_BUDGET_FORCING_WAITS).optional(),
  })
  .refine((axis) => axis.mode === 'extend' || axis.waits === undefined, 'waits applies to mode extend only');

/** The forced budgets of a budget-forcing axis, cheapest first as given. */
function budgetForcingValues(axis: z.output<typeof budgetForcingAxisSchema>): BudgetForcing[] {
  return axis.budgets.map((thinkingTokens) =>
    budgetForcingSchema.parse(axis.mode === 'cap' ? { mode: 'cap', thinkingTokens } : { mode: 'extend', thinkingTokens, waits: axis.waits }),
  );
}

const testBudgetAxesSchema = z
  .strictObject({
    verbosity: z.array(verbositySchema).min(1).optional(),
    effort: z.array(effortSchema).min(1).optional(),
    thinkingBudget: z.array(positiveInteger).min(1).optional(),
    budgetForcing: budgetForcingAxisSchema.optional(),
  })
  .refine((axes) => Object.values(axes).some((value) => value !== undefined), 'give at least one of verbosity, effort, thinkingBudget, budgetForcing')
  .refine(noThinkingBesidesForcing, forcingConflict);

const sleepBudgetSchema = z.strictObject({ parallel: parallelSchema, effort: effortSchema.optional() });

const sleepBudgetAxesSchema = z.strictObject({
  parallel: z.array(parallelSchema).min(1),
  effort: z.array(effortSchema).min(1).optional(),
});

/** Sleep-time budgets as a grid takes them: a list (`[{ parallel: 1 }]`) or axes (`{ parallel: [1, 2], effort: ['low'] }`). */
export const sleepBudgetsSchema = z.union([z.array(sleepBudgetSchema).min(1), sleepBudgetAxesSchema]);

/** The sleep-time budgets a grid names (every combination of axes), or the default, without repeats. */
export function sleepBudgetsOf(spec: z.output<typeof sleepBudgetsSchema> | undefined, fallback: readonly SleepTimeBudget[]): SleepTimeBudget[] {
  return distinct(spec === undefined ? [...fallback] : Array.isArray(spec) ? spec : cartesian<SleepTimeBudget>(spec));
}

/** Every combination of the values on each axis (an axis left out is not set). */
function cartesian<Budget extends object>(axes: Record<string, readonly unknown[] | undefined>): Budget[] {
  let combinations: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(axes)) {
    if (values === undefined) continue;
    combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [name]: value })));
  }
  return combinations as Budget[];
}

/** Drops repeats (by content), keeping the first: a repeated budget would make repeated keys. */
export function distinct<Value>(values: readonly Value[]): Value[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = contentHash(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const gridSpecSchema = z
  .strictObject({
    /**
     * Default: test-time-only, sleep-time, context-only, pass-at-k. `sleep-time-no-question` (the
     * released code's ablation) only when named.
     */
    conditions: z.array(z.enum(benchConditions as [BenchCondition, ...BenchCondition[]])).min(1).optional(),
    /**
     * A list of budgets (`[{ verbosity: 0 }, { effort: 'low' }]`) or axes whose combinations are
     * taken (`{ verbosity: [0, 1, 2, 3, 4] }`). Default: verbosity 0-4. Budget forcing as an axis:
     * `{ budgetForcing: { mode: 'extend', budgets: [256, 512, 1024], waits: 2 } }`.
     */
    testBudgets: z.union([z.array(testBudgetSchema).min(1), testBudgetAxesSchema]).optional(),
    /** A list (`[{ parallel: 1 }]`) or axes (`{ parallel: [1, 2, 5, 10], effort: ['low'] }`). Default: k in 1, 2, 5, 10. */
    sleepBudgets: sleepBudgetsSchema.optional(),
    /** Sample counts for pass@k. Default: the parallel sleep-run counts (k) of `sleepBudgets`. */
    passAtK: z.array(z.number().int().min(1).max(64)).min(1).optional(),
    /** Default [0]. */
    seeds: z.array(seedSchema).min(1).optional(),
    /** Rewrites allowed per sleep-time agent run (default: the engine's, 10). */
    maxRewrites: z.number().int().min(1).max(50).optional(),
    /**
     * The most characters each sleep-time agent's memory may hold (the engine's
     * `maxMemoryCharacters`: a longer rewrite is refused and the model told the limit). The paper's
     * released runs used 5,000. Default: no limit.
     */
    maxMemoryCharacters: z.number().int().min(100).max(1_000_000).optional(),
    testMaxOutputTokens: positiveInteger.optional(),
    sleepMaxOutputTokens: positiveInteger.optional(),
    /** Temperature of test-time-only, sleep-time and context-only asks (default 0, as in the paper). */
    testTemperature: z.number().min(0).max(2).optional(),
    /** Temperature of pass@k samples (default 0.7); must be above 0. */
    samplingTemperature: z.number().gt(0).max(2).optional(),
    /** Sleep-time temperature; default as the engine: 0 for k = 1, 0.7 for k > 1. */
    sleepTemperature: z.number().min(0).max(2).optional(),
    /**
     * Leave out items whose context is empty (five AIME problems are one sentence). Default false:
     * they are kept, and their sleep-time cells are answered without a sleep run.
     */
    skipEmptyContexts: z.boolean().optional(),
  })
  .transform((spec) => {
    const testBudgets: TestTimeBudget[] = distinct(
      spec.testBudgets === undefined
        ? defaultVerbosityLevels.map((verbosity) => ({ verbosity }))
        : Array.isArray(spec.testBudgets)
          ? spec.testBudgets
          : cartesian<TestTimeBudget>({
              ...spec.testBudgets,
              budgetForcing: spec.testBudgets.budgetForcing === undefined ? undefined : budgetForcingValues(spec.testBudgets.budgetForcing),
            }),
    );
    const sleepBudgets = sleepBudgetsOf(
      spec.sleepBudgets,
      defaultParallelSleepRuns.map((parallel) => ({ parallel })),
    );
    const parallelCounts = [...new Set(sleepBudgets.map((budget) => budget.parallel))].sort((left, right) => left - right);
    return {
      conditions: distinct(spec.conditions ?? [...defaultBenchConditions]),
      testBudgets,
      sleepBudgets,
      passAtK: distinct(spec.passAtK ?? parallelCounts),
      seeds: distinct(spec.seeds ?? [0]),
      maxRewrites: spec.maxRewrites ?? defaultMaxRewrites,
      maxMemoryCharacters: spec.maxMemoryCharacters,
      testMaxOutputTokens: spec.testMaxOutputTokens,
      sleepMaxOutputTokens: spec.sleepMaxOutputTokens,
      testTemperature: spec.testTemperature ?? 0,
      samplingTemperature: spec.samplingTemperature ?? defaultSamplingTemperature,
      sleepTemperature: spec.sleepTemperature,
      skipEmptyContexts: spec.skipEmptyContexts ?? false,
    };
  });

/** A grid as written by a user (JSON file, CLI flags): every field optional. */
export type GridSpecInput = z.input<typeof gridSpecSchema>;
/** A validated grid with every default filled in and budget axes expanded into lists. */
export type GridSpec = z.output<typeof gridSpecSchema>;

/** Validates a grid; a problem is a user error `invalid_grid` naming the field. */
export function parseGridSpec(input: unknown): GridSpec {
  const parsed = gridSpecSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? 'grid' : issue.path.join('.')}: ${issue.message}`);
  throw userError('invalid_grid', `Invalid benchmark grid: ${problems.join('; ')}`, { problems });
}

const effortRank: Record<'low' | 'medium' | 'high', number> = { low: 0, medium: 1, high: 2 };

/**
 * Orders test-time budgets from cheapest to dearest: by thinking budget (a forced one included),
 * then "Wait"s allowed, then effort, then verbosity (a knob left unset counts as the lowest). pass@k
 * runs at the first.
 */
export function compareTestBudgets(left: TestTimeBudget, right: TestTimeBudget): number {
  const rank = (budget: TestTimeBudget): number[] => [
    budget.thinkingBudget ?? budget.budgetForcing?.thinkingTokens ?? -1,
    budget.budgetForcing?.mode === 'extend' ? budget.budgetForcing.waits : -1,
    budget.effort === undefined ? -1 : effortRank[budget.effort],
    budget.verbosity ?? -1,
  ];
  const leftRank = rank(left);
  const rightRank = rank(right);
  for (let index = 0; index < leftRank.length; index += 1) {
    const difference = (leftRank[index] as number) - (rightRank[index] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}

export function lowestTestBudget(budgets: readonly TestTimeBudget[]): TestTimeBudget {
  const sorted = [...budgets].sort(compareTestBudgets);
  const lowest = sorted[0];
  if (lowest === undefined) throw userError('invalid_grid', 'Invalid benchmark grid: no test-time budget');
  return lowest;
}

/** The sleep temperature a grid (either runner's) uses for k parallel runs. */
export function sleepTemperatureFor(grid: { sleepTemperature?: number | undefined }, parallel: number): number {
  return grid.sleepTemperature ?? (parallel > 1 ? defaultParallelSleepTemperature : 0);
}

/**
 * A seed for one independent draw (a pass@k sample, a parallel sleep branch), derived from the
 * cell's seed so draws differ from each other yet repeat across runs. Distinct seeds also keep the
 * k draws distinct in the call cache, which would otherwise serve one answer k times.
 */
export function deriveSeed(seed: number, purpose: string): number {
  return Number.parseInt(sha256Hex(`${seed}:${purpose}`).slice(0, 8), 16) % 2 ** 31;
}

/** True for an item with nothing to sleep on: its sleep-time cells are answered without a sleep run. */
export function hasEmptyContext(item: BenchItem): boolean {
  return item.context.trim() === '';
}

/**
 * The settings besides the budgets that change what a cell's row says: part of its key. Settings
 * added since keys were first made appear only where they apply, so the keys of rows they do not
 * change stay as they were (a resumed run does not redo them).
 */
function cellSettings(grid: GridSpec, item: BenchItem, condition: BenchCondition, testBudget: TestTimeBudget, sleepBudget: SleepTimeBudget | null): Record<string, unknown> {
  const settings: Record<string, unknown> = { prompts: benchPromptsDigest, testMaxOutputTokens: grid.testMaxOutputTokens };
  if (condition === 'pass-at-k') settings.samplingTemperature = grid.samplingTemperature;
  else settings.testTemperature = grid.testTemperature;
  if (condition === 'sleep-time-no-question') settings.questionWithheldPrompt = questionWithheldPromptDigest;
  // An AIME budget without a verbosity answers at 0, not at the engine's default (dataset-prompts.ts).
  if (testBudget.verbosity === undefined && answerVerbosityFor(item, testBudget) !== defaultVerbosity) {
    settings.answerVerbosity = answerVerbosityFor(item, testBudget);
  }
  if (sleepBudget !== null) {
    if (hasEmptyContext(item)) settings.sleepRun = 'none: empty context';
    else Object.assign(settings, sleepRunSettings(grid, sleepBudget, item));
  }
  return settings;
}

function sleepRunSettings(grid: GridSpec, sleepBudget: SleepTimeBudget, item: BenchItem): Record<string, unknown> {
  const promptStyle = sleepPromptStyleFor(item);
  return {
    prompts: benchPromptsDigest,
    maxRewrites: grid.maxRewrites,
    sleepMaxOutputTokens: grid.sleepMaxOutputTokens,
    sleepTemperature: sleepTemperatureFor(grid, sleepBudget.parallel),
    ...(promptStyle === 'default' ? {} : { sleepPromptStyle: promptStyle, sleepPrompt: sleepPromptDigest(promptStyle) }),
    ...(grid.maxMemoryCharacters === undefined
      ? {}
      : { maxMemoryCharacters: grid.maxMemoryCharacters, memoryLimitPrompt: memoryLimitPromptDigest(grid.maxMemoryCharacters) }),
  };
}

/** Conditions whose cells read a sleep run (none for an item with an empty context). */
export function readsSleepRun(condition: BenchCondition): boolean {
  return condition === 'sleep-time' || condition === 'sleep-time-no-question';
}

/**
 * The ablations, which answer from the context without the question: an item with an empty context
 * gives them nothing to answer from, so their cells for it are left out (and counted).
 */
function isAblation(condition: BenchCondition): boolean {
  return condition === 'context-only' || condition === 'sleep-time-no-question';
}

function itemDigest(item: BenchItem): string {
  return contentHash({ context: item.context, query: item.query, answer: item.answer, grader: item.grader }).slice(0, 16);
}

export interface BenchRowKeyInput {
  item: BenchItem;
  condition: BenchCondition;
  testBudget: TestTimeBudget;
  sleepBudget: SleepTimeBudget | null;
  samples: number | undefined;
  seed: number;
  model: string;
  grid: GridSpec;
}

/**
 * sha256 of the canonical JSON of (dataset, itemId, condition, budgets, samples, seed, model), plus
 * a digest of the item's text and the settings and prompts that shape the row: an edited item, a new
 * prompt or another maxRewrites makes a new key instead of silently reusing an old row.
 */
export function benchRowKey(input: BenchRowKeyInput): string {
  return contentHash({
    version: 1,
    dataset: input.item.dataset,
    itemId: input.item.id,
    item: itemDigest(input.item),
    condition: input.condition,
    testBudget: input.testBudget,
    sleepBudget: input.sleepBudget,
    samples: input.samples,
    seed: input.seed,
    model: input.model,
    settings: cellSettings(input.grid, input.item, input.condition, input.testBudget, input.sleepBudget),
  });
}

/** One sleep run per (dataset, context group, its context text, sleep budget, seed, model, settings). */
export function sleepRunKey(input: { item: BenchItem; sleepBudget: SleepTimeBudget; seed: number; model: string; grid: GridSpec }): string {
  return contentHash({
    version: 1,
    kind: 'sleep-run',
    dataset: input.item.dataset,
    contextGroup: input.item.contextGroup,
    context: sha256Hex(input.item.context).slice(0, 16),
    sleepBudget: input.sleepBudget,
    seed: input.seed,
    model: input.model,
    settings: sleepRunSettings(input.grid, input.sleepBudget, input.item),
  });
}

export interface BenchCell {
  key: string;
  item: BenchItem;
  condition: BenchCondition;
  testBudget: TestTimeBudget;
  /** Set for the cells of conditions that read a sleep run (sleep-time, sleep-time-no-question) only. */
  sleepBudget: SleepTimeBudget | null;
  /** pass-at-k only. */
  samples?: number;
  seed: number;
  model: string;
  /** The shared sleep run a sleep-time cell reads; null otherwise, and for an item with an empty context. */
  sleepRunKey: string | null;
}

/**
 * Checks what the runner relies on: ids unique within a dataset, gradable answers, and one context
 * text per context group (the group's sleep run is made from it). Problems are user errors naming the items.
 */
export function validateItems(items: readonly BenchItem[]): void {
  const ids = new Set<string>();
  const contexts = new Map<string, { itemId: string; context: string }>();
  for (const item of items) {
    const id = `${item.dataset}\u0000${item.id}`;
    if (ids.has(id)) throw userError('duplicate_item', `Item "${item.id}" appears twice in dataset "${item.dataset}"`, { itemId: item.id });
    ids.add(id);
    if (!Number.isFinite(item.answer) || (item.grader === 'aime' && !Number.isInteger(item.answer))) {
      throw userError('invalid_item', `Item "${item.id}" has an answer its ${item.grader} grader cannot use: ${item.answer}`, { itemId: item.id });
    }
    const group = `${item.dataset}\u0000${item.contextGroup}`;
    const first = contexts.get(group);
    if (first === undefined) contexts.set(group, { itemId: item.id, context: item.context });
    else if (first.context !== item.context) {
      throw userError(
        'inconsistent_context_group',
        `Items "${first.itemId}" and "${item.id}" share context group "${item.contextGroup}" but not the same context text`,
        { contextGroup: item.contextGroup },
      );
    }
  }
}

export interface GridPlan {
  cells: BenchCell[];
  /** Cells of the ablations left out because their item's context is empty (see the file header). */
  skippedAblationCells: number;
}

/**
 * Every cell of the grid over the items, in an order that keeps the cells of one context group
 * together (per seed), so a shared sleep run is used soon after it is made and can then be freed.
 */
export function expandGrid(items: readonly BenchItem[], gridInput: GridSpecInput | GridSpec, options: { model: string }): BenchCell[] {
  return planGrid(items, gridInput, options).cells;
}

/** `expandGrid`, with the number of cells left out. */
export function planGrid(items: readonly BenchItem[], gridInput: GridSpecInput | GridSpec, options: { model: string }): GridPlan {
  const grid = parseGridSpec(gridInput);
  validateItems(items);
  const kept = grid.skipEmptyContexts ? items.filter((item) => !hasEmptyContext(item)) : items;

  const groups = new Map<string, BenchItem[]>();
  for (const item of kept) {
    const group = `${item.dataset}\u0000${item.contextGroup}`;
    const members = groups.get(group);
    if (members === undefined) groups.set(group, [item]);
    else members.push(item);
  }

  const lowest = lowestTestBudget(grid.testBudgets);
  const model = options.model;
  const cells: BenchCell[] = [];
  let skippedAblationCells = 0;
  const add = (item: BenchItem, condition: BenchCondition, testBudget: TestTimeBudget, sleepBudget: SleepTimeBudget | null, samples: number | undefined, seed: number) => {
    if (isAblation(condition) && hasEmptyContext(item)) {
      skippedAblationCells += 1;
      return;
    }
    cells.push({
      key: benchRowKey({ item, condition, testBudget, sleepBudget, samples, seed, model, grid }),
      item,
      condition,
      testBudget,
      sleepBudget,
      ...(samples === undefined ? {} : { samples }),
      seed,
      model,
      sleepRunKey: sleepBudget === null || hasEmptyContext(item) ? null : sleepRunKey({ item, sleepBudget, seed, model, grid }),
    });
  };

  for (const seed of grid.seeds) {
    for (const members of groups.values()) {
      for (const item of members) {
        for (const condition of grid.conditions) {
          if (condition === 'pass-at-k') {
            for (const samples of grid.passAtK) add(item, condition, lowest, null, samples, seed);
          } else if (readsSleepRun(condition)) {
            for (const sleepBudget of grid.sleepBudgets) {
              for (const testBudget of grid.testBudgets) add(item, condition, testBudget, sleepBudget, undefined, seed);
            }
          } else {
            for (const testBudget of grid.testBudgets) add(item, condition, testBudget, null, undefined, seed);
          }
        }
      }
    }
  }
  return { cells, skippedAblationCells };
}
