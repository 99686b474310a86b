/**
 * Runs a SWE-Features grid (swe-features-grid.ts) and appends one `SweFeaturesResultRow` a cell to a
 * JSON Lines file, as `runBench` does for the question-answering datasets and with the same
 * machinery: the content-addressed call cache (a resumed or repeated run repeats no model call it
 * has a result for), at most `concurrency` calls in flight, rows appended and synced one by one,
 * resume by key, failed rows run again, provenance recorded on every row.
 *
 * - Sleep time: one repository sleep run per (item, sleep-time budget, seed, model, settings),
 *   shared by every sleep-time cell of the item: the engine's sleep-time agent (`runSleepAgent`,
 *   prompt style `repository`) with the item's context (the related earlier pull requests) as its
 *   context and the read-only repository tools on a worktree of the base commit, writing notes. Its
 *   tokens are the row's `sleepUsage` (the sleep-time phase).
 * - Test time: the coding agent (coding-agent.ts) in a fresh worktree of the base commit for each
 *   cell, with the task, the context and (sleep-time) the notes, under the cell's step budget. Its
 *   tokens are the row's `testUsage`; the files it changed (git's diff) are scored against the gold
 *   files with `fileSetF1`.
 * - Worktrees are temporary folders that borrow the repository's objects (the repository is never
 *   written to) and are removed when their cell or sleep run is done.
 * - A cell whose model call fails after the model layer's retries becomes a row with `error`,
 *   scored 0. User and system errors stop the run (a repository that cannot be read, say), as does
 *   an upstream error no cell could get past.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { addUsage, defaultOutputLimit, defaultSleepCallMaxOutputTokens, zeroUsage, type CallSettings, type SleeptimeModel, type StatedProvenanceKind, type Usage } from '@sleeptime/core';
import type { ModelProvenance } from '@sleeptime/core';
import { createWorktree, readOnlyRepositoryTools, type RepositoryToolLimits, type RepositoryWorktree } from '@sleeptime/core/repository';
import type { SleepTimeBudget } from '../bench-types.js';
import { fileSetF1, type SweFeaturesItem } from '../datasets/swe-features/index.js';
import { contentHash } from '../runner/canonical-json.js';
import { CellMeter, cellError, checkRunnerOptions, definedOnly, recordedProvenance, runCellPool } from '../runner/cell-support.js';
import { createConcurrencyLimiter, withConcurrencyLimit } from '../runner/concurrency-limiter.js';
import { deriveSeed, sleepTemperatureFor } from '../runner/grid.js';
import { createModelCallCache, type ModelCallEvent } from '../runner/model-call-cache.js';
import { prepareResultsFile } from '../runner/results-file.js';
import { defaultBenchConcurrency, type BenchProgress } from '../runner/run-bench.js';
import { runSharedSleep, withSeed } from '../runner/shared-sleep-run.js';
import { runCodingAgent } from './coding-agent.js';
import { parseSweFeaturesGrid, planSweFeaturesGrid, sweFeaturesDataset, type SweFeaturesCell, type SweFeaturesGrid, type SweFeaturesGridInput } from './swe-features-grid.js';
import { checkSweFeaturesRepositories } from './swe-features-items.js';
import { sweFeaturesResultRowFormat, type SweFeaturesResultRow } from './swe-features-result-row.js';

export interface RunSweFeaturesBenchOptions {
  items: SweFeaturesItem[];
  grid: SweFeaturesGridInput | SweFeaturesGrid;
  model: SleeptimeModel;
  resultsPath: string;
  cacheDir: string;
  /** Model calls in flight at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Errors thrown by this callback are ignored. `correct` is the sum of the rows' F1. */
  onProgress?: (progress: BenchProgress) => void;
  /** Names the model in row keys and cache keys; default `model.spec` (see `RunBenchOptions`). */
  modelIdentity?: string;
  /** Run cells again whose earlier row is a failure (default true). */
  retryFailedRows?: boolean;
  /** Where the model's answers come from, as the caller knows it (recorded as `stated`). */
  provenance?: StatedProvenanceKind;
  /** Where the worktrees are made (default: the system's temporary folder). */
  worktreeDir?: string;
  /** Bounds of the repository tools (defaults: `defaultRepositoryToolLimits`). */
  toolLimits?: Partial<RepositoryToolLimits>;
  now?: () => number;
}

export interface RunSweFeaturesBenchResult {
  /** A row for every cell of the grid, in grid order: earlier runs' and this run's. */
  rows: SweFeaturesResultRow[];
  written: number;
  skipped: number;
  /** What this run recorded on its rows; undefined when it had no cell to run. */
  provenance: ModelProvenance | undefined;
}

interface SleepOutcome {
  notes: string | undefined;
  usage: Usage;
  error: unknown;
}

export async function runSweFeaturesBench(options: RunSweFeaturesBenchOptions): Promise<RunSweFeaturesBenchResult> {
  const grid = parseSweFeaturesGrid(options.grid);
  const concurrency = options.concurrency ?? defaultBenchConcurrency;
  checkRunnerOptions({ concurrency, provenance: options.provenance });
  const now = options.now ?? Date.now;
  const { model } = options;
  const modelIdentity = options.modelIdentity ?? model.spec;
  const cells = planSweFeaturesGrid(options.items, grid, { model: modelIdentity });

  // Budgets are mapped before the first call: a knob this provider lacks stops the run now.
  const testSettings: CallSettings = model.callSettings({ maxOutputTokens: grid.testMaxOutputTokens ?? defaultSleepCallMaxOutputTokens });
  const sleepSettings = new Map<string, CallSettings>();
  for (const budget of grid.sleepBudgets) {
    if (!grid.conditions.includes('sleep-time')) break;
    sleepSettings.set(
      contentHash(budget),
      model.callSettings(
        definedOnly({
          maxOutputTokens: grid.sleepMaxOutputTokens ?? defaultOutputLimit(defaultSleepCallMaxOutputTokens, { effort: budget.effort }, model.provider),
          effort: budget.effort,
        }),
      ),
    );
  }

  const cellKeys = new Set(cells.map((cell) => cell.key));
  const existingRows = await prepareResultsFile(options.resultsPath, {
    format: sweFeaturesResultRowFormat,
    ...(options.retryFailedRows === false ? {} : { retryKeys: cellKeys }),
  });
  const finished = new Map<string, SweFeaturesResultRow>();
  for (const row of existingRows) if (cellKeys.has(row.key)) finished.set(row.key, row);
  const skipped = finished.size;
  const pending = cells.filter((cell) => !finished.has(cell.key));

  const stopper = new AbortController();
  const runSignal = options.signal === undefined ? stopper.signal : AbortSignal.any([options.signal, stopper.signal]);
  // Before any call: every repository and base commit the pending cells need can be had.
  await checkSweFeaturesRepositories([...new Map(pending.map((cell) => [cell.item.id, cell.item])).values()], runSignal);
  const provenance = pending.length === 0 ? undefined : await recordedProvenance(model, options.provenance, runSignal);
  const limitedModel = withConcurrencyLimit(model.languageModel, createConcurrencyLimiter(concurrency));
  const cache = createModelCallCache({ directory: options.cacheDir, now });

  // ------------------------------------------------------------------------------------------------
  // Progress

  const startedAt = now();
  const progress = { done: skipped, correct: 0, errors: 0, testTokens: 0, sleepTokens: 0, modelCalls: 0, cachedCalls: 0 };
  const countedSleepRuns = new Set<string>();
  const countRow = (row: SweFeaturesResultRow) => {
    progress.correct += row.f1;
    if (row.error !== undefined) progress.errors += 1;
    progress.testTokens += row.testUsage.outputTokens;
    if (row.sleepRunKey !== null && row.sleepUsage !== null && !countedSleepRuns.has(row.sleepRunKey)) {
      countedSleepRuns.add(row.sleepRunKey);
      progress.sleepTokens += row.sleepUsage.outputTokens;
    }
  };
  for (const row of finished.values()) countRow(row);
  const reportProgress = () => {
    if (options.onProgress === undefined) return;
    const elapsedMs = Math.max(0, now() - startedAt);
    const doneNow = progress.done - skipped;
    const remaining = cells.length - progress.done;
    try {
      options.onProgress({
        ...progress,
        metric: 'mean F1',
        total: cells.length,
        skipped,
        elapsedMs,
        etaMs: doneNow === 0 ? (remaining === 0 ? 0 : null) : Math.round((elapsedMs / doneNow) * remaining),
      });
    } catch {
      // A display must not break a run.
    }
  };

  const cachedModel = (onCall?: (event: ModelCallEvent) => void): LanguageModelV3 =>
    cache.wrap(limitedModel, {
      modelIdentity,
      onCall: (event) => {
        if (event.cached) progress.cachedCalls += 1;
        else progress.modelCalls += 1;
        onCall?.(event);
      },
    });

  const worktreeFor = (item: SweFeaturesItem): Promise<RepositoryWorktree> =>
    createWorktree({ repository: item.repository, commit: item.baseCommit, signal: runSignal, ...(options.worktreeDir === undefined ? {} : { parentDir: options.worktreeDir }) });

  // ------------------------------------------------------------------------------------------------
  // Shared sleep runs: one per key, made by the first cell that needs it, freed after the last.

  const sleepRuns = new Map<string, Promise<SleepOutcome>>();
  const sleepReaders = new Map<string, number>();
  for (const cell of pending) {
    if (cell.sleepRunKey !== null) sleepReaders.set(cell.sleepRunKey, (sleepReaders.get(cell.sleepRunKey) ?? 0) + 1);
  }

  const performSleepRun = async (item: SweFeaturesItem, sleepBudget: SleepTimeBudget, seed: number): Promise<SleepOutcome> => {
    let usage: Usage = zeroUsage;
    let worktree: RepositoryWorktree | undefined;
    try {
      worktree = await worktreeFor(item);
      const notes = await runSharedSleep({
        contextText: item.context,
        parallel: sleepBudget.parallel,
        branchModel: (branch) =>
          withSeed(
            cachedModel((event) => {
              usage = addUsage(usage, event.usage);
            }),
            deriveSeed(seed, `sleep-branch-${branch}`),
          ),
        maxRewrites: grid.maxRewrites,
        callSettings: sleepSettings.get(contentHash(sleepBudget)) ?? {},
        temperature: sleepTemperatureFor(grid, sleepBudget.parallel),
        promptStyle: 'repository',
        extraTools: readOnlyRepositoryTools(worktree, options.toolLimits === undefined ? {} : { limits: options.toolLimits }),
        ...(grid.sleepExplorationSteps === undefined ? {} : { maxExplorationSteps: grid.sleepExplorationSteps }),
        ...(grid.maxMemoryCharacters === undefined ? {} : { maxMemoryCharacters: grid.maxMemoryCharacters }),
        signal: runSignal,
      });
      return { notes, usage, error: undefined };
    } catch (error) {
      return { notes: undefined, usage, error };
    } finally {
      await worktree?.remove();
    }
  };

  const sleepRunFor = (cell: SweFeaturesCell & { sleepRunKey: string; sleepBudget: SleepTimeBudget }): Promise<SleepOutcome> => {
    let run = sleepRuns.get(cell.sleepRunKey);
    if (run === undefined) {
      run = performSleepRun(cell.item, cell.sleepBudget, cell.seed);
      sleepRuns.set(cell.sleepRunKey, run);
    }
    return run;
  };

  const releaseSleepRun = (key: string) => {
    const readers = (sleepReaders.get(key) ?? 1) - 1;
    sleepReaders.set(key, readers);
    if (readers <= 0) {
      sleepRuns.delete(key);
      sleepReaders.delete(key);
    }
  };

  // ------------------------------------------------------------------------------------------------
  // Cells

  const rowError = (error: unknown) => cellError(error, runSignal);

  const runCell = async (cell: SweFeaturesCell): Promise<SweFeaturesResultRow> => {
    const { item } = cell;
    const base = {
      benchmark: 'swe-features' as const,
      key: cell.key,
      dataset: sweFeaturesDataset,
      itemId: item.id,
      repositoryName: item.repositoryName,
      baseCommit: item.baseCommit,
      condition: cell.condition,
      stepBudget: cell.stepBudget,
      sleepBudget: cell.sleepBudget === null ? null : definedOnly(cell.sleepBudget),
      seed: cell.seed,
      model: cell.model,
      goldFiles: item.goldFiles,
      ...(cell.sleepRunKey !== null && grid.maxMemoryCharacters !== undefined ? { maxMemoryCharacters: grid.maxMemoryCharacters } : {}),
      ...(provenance === undefined ? {} : { provenance }),
    };
    const failed = (error: { code: string; message: string }, meter: CellMeter, sleep: { sleepRunKey: string | null; sleepUsage: Usage | null }): SweFeaturesResultRow => ({
      ...base,
      stepsUsed: 0,
      stopReason: null,
      editedFiles: [],
      precision: 0,
      recall: 0,
      f1: 0,
      toolCalls: 0,
      failedToolCalls: 0,
      testUsage: meter.usage,
      ...sleep,
      latencyMs: meter.latencyMs,
      ...(meter.truncatedBy === undefined ? {} : { truncatedBy: meter.truncatedBy }),
      error,
      createdAt: new Date().toISOString(),
    });

    const meter = new CellMeter();
    let notes: string | undefined;
    const sleep = { sleepRunKey: cell.sleepRunKey, sleepUsage: null as Usage | null };
    if (cell.condition === 'sleep-time' && cell.sleepRunKey !== null && cell.sleepBudget !== null) {
      const outcome = await sleepRunFor({ ...cell, sleepRunKey: cell.sleepRunKey, sleepBudget: cell.sleepBudget });
      sleep.sleepUsage = outcome.usage;
      if (outcome.notes === undefined) return failed(rowError(outcome.error), meter, sleep);
      notes = outcome.notes;
    }

    const worktree = await worktreeFor(item);
    try {
      const agent = await runCodingAgent({
        languageModel: cachedModel((event) => meter.add(event)),
        worktree,
        task: item.task,
        contextText: item.context,
        ...(notes === undefined ? {} : { notes }),
        maxSteps: cell.stepBudget,
        callSettings: testSettings,
        temperature: grid.testTemperature,
        seed: cell.seed,
        ...(options.toolLimits === undefined ? {} : { toolLimits: options.toolLimits }),
        signal: runSignal,
      });
      const score = fileSetF1(agent.edited.files, item.goldFiles);
      return {
        ...base,
        stepsUsed: agent.stepsUsed,
        stopReason: agent.stopReason,
        editedFiles: agent.edited.files,
        precision: score.precision,
        recall: score.recall,
        f1: score.f1,
        toolCalls: agent.toolCalls.length,
        failedToolCalls: agent.toolCalls.filter((call) => !call.ok).length,
        testUsage: meter.usage,
        ...sleep,
        latencyMs: meter.latencyMs,
        ...(meter.truncatedBy === undefined ? {} : { truncatedBy: meter.truncatedBy }),
        createdAt: new Date().toISOString(),
      };
    } catch (error) {
      return failed(rowError(error), meter, sleep);
    } finally {
      await worktree.remove();
    }
  };

  // ------------------------------------------------------------------------------------------------
  // Workers: one cell in progress per call slot (runBench has twice as many). A cell is an agent loop
  // whose calls each extend the previous prompt: run alone, a local model reuses that prefix from its
  // KV cache at every step; interleaved with another cell's calls, it reads the whole prompt again.

  reportProgress();
  await runCellPool({
    pending,
    workers: concurrency,
    resultsPath: options.resultsPath,
    runSignal,
    callerSignal: options.signal,
    stop: () => stopper.abort(),
    runCell,
    onRow: (row) => {
      finished.set(row.key, row);
      progress.done += 1;
      countRow(row);
      reportProgress();
    },
    releaseSleepRun,
  });

  const rows = cells.flatMap((cell) => {
    const row = finished.get(cell.key);
    return row === undefined ? [] : [row];
  });
  return { rows, written: progress.done - skipped, skipped, provenance };
}
