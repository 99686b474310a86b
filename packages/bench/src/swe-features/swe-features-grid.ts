/**
 * The SWE-Features grid: which cells to run. The test-time budget is the coding agent's step budget
 * N (the paper's `[Step: i/N]`); a cell is one item under one condition, one step budget, one
 * sleep-time budget (sleep-time cells only) and one seed:
 *
 * - `test-time-only`: the coding agent with the task and the related pull requests, every step budget;
 * - `sleep-time`: the same, with the notes of a repository sleep run on the item (the repository
 *   sleep-time agent exploring a worktree of the base commit with read-only tools, the related pull
 *   requests as its context), every sleep-time budget x every step budget. One sleep run per (item,
 *   sleep-time budget, seed, model, settings), shared by all its cells.
 *
 * Keys are deterministic, as in grid.ts: a resumed run skips the cells whose rows it has, and a
 * changed prompt, tool, setting or item makes new keys only where it applies.
 */
import { z } from 'zod';
import { buildSleepTrigger, sleepSystemPromptFor, userError } from '@sleeptime/core';
import { defaultMaxRewrites } from '@sleeptime/core';
import { readOnlyRepositoryTools } from '@sleeptime/core/repository';
import type { SleepTimeBudget } from '../bench-types.js';
import type { SweFeaturesItem } from '../datasets/swe-features/index.js';
import { contentHash, sha256Hex } from '../runner/canonical-json.js';
import { distinct, seedSchema, positiveInteger, sleepBudgetsOf, sleepBudgetsSchema, sleepTemperatureFor } from '../runner/grid.js';
import { maxCodingAgentSteps, codingAgentToolsDigest } from './coding-agent.js';
import { codingAgentPromptsDigest } from './coding-agent-prompts.js';

/** The conditions of a SWE-Features grid (the names the other datasets use for the same two). */
export const sweFeaturesConditions = ['test-time-only', 'sleep-time'] as const;
export type SweFeaturesCondition = (typeof sweFeaturesConditions)[number];

/** Step budgets of a grid that names none. */
export const defaultStepBudgets: readonly number[] = [5, 10, 20];

/** The dataset name SWE-Features rows carry. */
export const sweFeaturesDataset = 'swe-features';


export const sweFeaturesGridSchema = z
  .strictObject({
    /** Default: both. */
    conditions: z.array(z.enum(sweFeaturesConditions)).min(1).optional(),
    /** The coding agent's step budgets N (default 5, 10, 20). */
    steps: z.array(z.number().int().min(1).max(maxCodingAgentSteps)).min(1).optional(),
    /** A list (`[{ parallel: 1 }]`) or axes (`{ parallel: [1, 2] }`). Default: k = 1. */
    sleepBudgets: sleepBudgetsSchema.optional(),
    /** Default [0]. */
    seeds: z.array(seedSchema).min(1).optional(),
    /** Rewrites of the notes per sleep-time agent (default: the engine's, 10). */
    maxRewrites: z.number().int().min(1).max(50).optional(),
    /** Exploration steps of the sleep-time agent beyond its rewrites (default: the engine's, 30). */
    sleepExplorationSteps: z.number().int().min(0).max(500).optional(),
    /** The most characters each sleep-time agent's notes may hold (default: no limit). */
    maxMemoryCharacters: z.number().int().min(100).max(1_000_000).optional(),
    /** Output limit of each coding-agent call (default: the engine's sleep-time call limit, 2,048). */
    testMaxOutputTokens: positiveInteger.optional(),
    /** Output limit of each sleep-time call (default 2,048). */
    sleepMaxOutputTokens: positiveInteger.optional(),
    /** Temperature of the coding agent (default 0). */
    testTemperature: z.number().min(0).max(2).optional(),
    /** Sleep-time temperature; default as the engine: 0 for k = 1, 0.7 for k > 1. */
    sleepTemperature: z.number().min(0).max(2).optional(),
  })
  .transform((spec) => {
    return {
      conditions: distinct(spec.conditions ?? [...sweFeaturesConditions]),
      steps: distinct(spec.steps ?? [...defaultStepBudgets]).sort((a, b) => a - b),
      sleepBudgets: sleepBudgetsOf(spec.sleepBudgets, [{ parallel: 1 }]),
      seeds: distinct(spec.seeds ?? [0]),
      maxRewrites: spec.maxRewrites ?? defaultMaxRewrites,
      sleepExplorationSteps: spec.sleepExplorationSteps,
      maxMemoryCharacters: spec.maxMemoryCharacters,
      testMaxOutputTokens: spec.testMaxOutputTokens,
      sleepMaxOutputTokens: spec.sleepMaxOutputTokens,
      testTemperature: spec.testTemperature ?? 0,
      sleepTemperature: spec.sleepTemperature,
    };
  });

/** A grid as written by a user (JSON file, CLI flags): every field optional. */
export type SweFeaturesGridInput = z.input<typeof sweFeaturesGridSchema>;
/** A validated grid with every default filled in. */
export type SweFeaturesGrid = z.output<typeof sweFeaturesGridSchema>;

/** Validates a grid; a problem is a user error `invalid_grid` naming the field. */
export function parseSweFeaturesGrid(input: unknown): SweFeaturesGrid {
  const parsed = sweFeaturesGridSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? 'grid' : issue.path.join('.')}: ${issue.message}`);
  throw userError('invalid_grid', `Invalid SWE-Features grid: ${problems.join('; ')}`, { problems });
}

export interface SweFeaturesCell {
  key: string;
  item: SweFeaturesItem;
  condition: SweFeaturesCondition;
  /** N: the coding agent's step budget. */
  stepBudget: number;
  /** Sleep-time cells only. */
  sleepBudget: SleepTimeBudget | null;
  seed: number;
  model: string;
  /** The shared sleep run a sleep-time cell reads; null for test-time only. */
  sleepRunKey: string | null;
}

/** The repository sleep-time agent's instructions, trigger and tools: part of the sleep runs' keys. */
const repositorySleepDigest: string = (() => {
  const placeholder = { root: '/', folder: '/', git: () => Promise.reject(new Error('not a worktree')) };
  const tools = readOnlyRepositoryTools(placeholder);
  const toolNames = Object.keys(tools);
  return contentHash({
    system: sleepSystemPromptFor('repository', 'tools', toolNames),
    trigger: buildSleepTrigger({ contextText: '{context}', maxRewrites: 1, exploration: { toolNames, maxSteps: 1 } }),
    tools: Object.entries(tools).map(([name, definition]) => ({ name, description: definition.description, schema: z.toJSONSchema(definition.inputSchema as z.ZodType) })),
  }).slice(0, 16);
})();

function itemDigest(item: SweFeaturesItem): string {
  return contentHash({ baseCommit: item.baseCommit, task: item.task, context: item.context, goldFiles: item.goldFiles }).slice(0, 16);
}

function sleepRunSettings(grid: SweFeaturesGrid, sleepBudget: SleepTimeBudget): Record<string, unknown> {
  return {
    sleepPrompts: repositorySleepDigest,
    maxRewrites: grid.maxRewrites,
    sleepExplorationSteps: grid.sleepExplorationSteps,
    sleepMaxOutputTokens: grid.sleepMaxOutputTokens,
    sleepTemperature: sleepTemperatureFor(grid, sleepBudget.parallel),
    maxMemoryCharacters: grid.maxMemoryCharacters,
  };
}

/** One sleep run per (item, its base commit and context, sleep-time budget, seed, model, settings). */
export function sweFeaturesSleepRunKey(input: { item: SweFeaturesItem; sleepBudget: SleepTimeBudget; seed: number; model: string; grid: SweFeaturesGrid }): string {
  return contentHash({
    version: 1,
    kind: 'swe-features-sleep-run',
    dataset: sweFeaturesDataset,
    itemId: input.item.id,
    baseCommit: input.item.baseCommit,
    context: sha256Hex(input.item.context).slice(0, 16),
    sleepBudget: input.sleepBudget,
    seed: input.seed,
    model: input.model,
    settings: sleepRunSettings(input.grid, input.sleepBudget),
  });
}

/** The key of a row: sha256 of everything that shapes it (see the file's header). */
export function sweFeaturesRowKey(input: {
  item: SweFeaturesItem;
  condition: SweFeaturesCondition;
  stepBudget: number;
  sleepBudget: SleepTimeBudget | null;
  seed: number;
  model: string;
  grid: SweFeaturesGrid;
}): string {
  return contentHash({
    version: 1,
    benchmark: 'swe-features',
    dataset: sweFeaturesDataset,
    itemId: input.item.id,
    item: itemDigest(input.item),
    condition: input.condition,
    stepBudget: input.stepBudget,
    sleepBudget: input.sleepBudget,
    seed: input.seed,
    model: input.model,
    settings: {
      prompts: codingAgentPromptsDigest,
      tools: codingAgentToolsDigest,
      testMaxOutputTokens: input.grid.testMaxOutputTokens,
      testTemperature: input.grid.testTemperature,
      ...(input.sleepBudget === null ? {} : sleepRunSettings(input.grid, input.sleepBudget)),
    },
  });
}

/** Checks that item ids are unique; a repeat is a user error naming it. */
export function validateSweFeaturesItems(items: readonly SweFeaturesItem[]): void {
  const ids = new Set<string>();
  for (const item of items) {
    if (ids.has(item.id)) throw userError('duplicate_item', `Item "${item.id}" appears twice in the SWE-Features items`, { itemId: item.id });
    ids.add(item.id);
  }
}

/**
 * Every cell of the grid, the cells of one item together (per seed), so an item's sleep run is
 * used soon after it is made and its worktree can go.
 */
export function planSweFeaturesGrid(items: readonly SweFeaturesItem[], gridInput: SweFeaturesGridInput | SweFeaturesGrid, options: { model: string }): SweFeaturesCell[] {
  // A parsed grid is valid input too: parsing it again gives it back.
  const grid = parseSweFeaturesGrid(gridInput);
  validateSweFeaturesItems(items);
  const cells: SweFeaturesCell[] = [];
  const { model } = options;
  for (const seed of grid.seeds) {
    for (const item of items) {
      for (const condition of grid.conditions) {
        const sleepBudgets: Array<SleepTimeBudget | null> = condition === 'sleep-time' ? grid.sleepBudgets : [null];
        for (const sleepBudget of sleepBudgets) {
          for (const stepBudget of grid.steps) {
            cells.push({
              key: sweFeaturesRowKey({ item, condition, stepBudget, sleepBudget, seed, model, grid }),
              item,
              condition,
              stepBudget,
              sleepBudget,
              seed,
              model,
              sleepRunKey: sleepBudget === null ? null : sweFeaturesSleepRunKey({ item, sleepBudget, seed, model, grid }),
            });
          }
        }
      }
    }
  }
  return cells;
}
