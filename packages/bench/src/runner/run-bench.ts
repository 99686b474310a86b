/**
 * Runs a benchmark grid (see grid.ts) and appends one `BenchResultRow` a cell to a JSONL file.
 *
 * - Prompts are the engine's: `runSleepAgent` at sleep time, `buildAskPrompt` at test time; the
 *   prompts of the two ablations (`context-only`, `sleep-time-no-question`) are in bench-prompts.ts.
 *   As in the paper's released runs, Stateful
 *   AIME sleeps with the AIME instructions and answers at verbosity 0 when its budget sets none
 *   (dataset-prompts.ts). Answers are graded with the dataset's grader (`gradeGsm`, `gradeAime`);
 *   `final` is the number that grader read.
 * - An item whose context is empty has nothing to sleep on: its sleep-time cells are answered as
 *   test-time only, with no sleep run (`sleepRunKey` and `sleepUsage` null), and all its rows say
 *   `emptyContext: true`; `RunBenchResult.emptyContextItems` counts such items. The two ablations
 *   have no cells for such items (`RunBenchResult.skippedAblationCells` counts them).
 * - Sleep runs are shared: one per (context group, sleep budget, seed, model), started by the first
 *   cell that needs it (sleep-time or sleep-time-no-question) and reused by every other cell on that
 *   context (the amortization the paper measures). Every row that used it carries its
 *   `sleepRunKey`, its usage and the grid's `maxMemoryCharacters`, when set.
 * - Model calls: at most `concurrency` in flight; every call goes through the content-addressed
 *   cache (model-call-cache.ts), so a resumed or repeated run repeats no call it has a result for.
 * - Resume: rows already in the results file (by key) are skipped; failed rows are run again
 *   (unless `retryFailedRows` is false). Rows are appended and synced one by one as they finish.
 * - Provenance: every row records where the model's answers come from (`BenchResultRow.provenance`):
 *   the caller's statement (`provenance`), else what the model says of itself (`model.provenance()`:
 *   the GGUF file's marker, the server's declaration, the provider), asked once before the first
 *   call; `unknown` when nothing says. Never a guess from the model's name.
 * - A cell whose model call fails after the model layer's retries (an `upstream` error) becomes a
 *   row with `error` and `correct: false`. User and system errors stop the run, as do upstream
 *   errors that no cell could get past (the provider refused the API key).
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText } from 'ai';
import { defaultAskMaxOutputTokens, defaultOutputLimit, defaultSleepCallMaxOutputTokens } from '@sleeptime/core';
import { buildAskPrompt, type Verbosity } from '@sleeptime/core';
import type { CallSettings, ModelProvenance, SleeptimeModel, StatedProvenanceKind } from '@sleeptime/core';
import { addUsage, sumUsage, zeroUsage, type Usage } from '@sleeptime/core';
import type { BenchItem, BenchResultRow, SleepTimeBudget, TestTimeBudget } from '../bench-types.js';
import { extractAimeAnswer, extractGsmAnswer, gradeAime, gradeGsm } from '../datasets/grading.js';
import { buildContextOnlyPrompt, buildQuestionWithheldPrompt } from './bench-prompts.js';
import { contentHash } from './canonical-json.js';
import { CellMeter, cellError, checkRunnerOptions, definedOnly, recordedProvenance, runCellPool } from './cell-support.js';
import { createConcurrencyLimiter, withConcurrencyLimit } from './concurrency-limiter.js';
import { answerVerbosityFor, sleepPromptStyleFor } from './dataset-prompts.js';
import { deriveSeed, hasEmptyContext, parseGridSpec, planGrid, readsSleepRun, sleepTemperatureFor, type BenchCell, type GridSpec, type GridSpecInput } from './grid.js';
import { createModelCallCache, type ModelCallEvent } from './model-call-cache.js';
import { prepareResultsFile } from './results-file.js';
import { runSharedSleep, withSeed } from './shared-sleep-run.js';

export const defaultBenchConcurrency = 4;

export interface BenchProgress {
  /** Cells with a row, those of earlier runs included. */
  done: number;
  total: number;
  /** Cells whose row an earlier run wrote. */
  skipped: number;
  /** Correct answers so far; on SWE-Features, the sum of the rows' F1 (so `correct / done` is the mean F1). */
  correct: number;
  /** What `correct / done` is (default `accuracy`; SWE-Features: `mean F1`). */
  metric?: 'accuracy' | 'mean F1';
  /** Rows whose model call failed. */
  errors: number;
  /** Generated test-time tokens over the rows so far (as their usage says, cached calls included). */
  testTokens: number;
  /** Generated sleep-time tokens, each sleep run counted once. */
  sleepTokens: number;
  /** Model calls made by this run, and calls answered from the cache. */
  modelCalls: number;
  cachedCalls: number;
  elapsedMs: number;
  /** From this run's pace; null until a row is done. */
  etaMs: number | null;
}

export interface RunBenchOptions {
  items: BenchItem[];
  grid: GridSpecInput | GridSpec;
  model: SleeptimeModel;
  resultsPath: string;
  cacheDir: string;
  /** Model calls in flight at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Errors thrown by this callback are ignored: a display must not break a run. */
  onProgress?: (progress: BenchProgress) => void;
  /**
   * Names the model in row keys and cache keys; default `model.spec`. Set it when one spec can mean
   * different models (the same model id on two servers, or another quantization).
   */
  modelIdentity?: string;
  /** Run cells again whose earlier row is a failure (default true); their old rows are removed. */
  retryFailedRows?: boolean;
  /**
   * Where the model's answers come from, as the caller knows it (`sleeptime bench --provenance`):
   * recorded as `stated`, in place of what the model says of itself.
   */
  provenance?: StatedProvenanceKind;
  now?: () => number;
}

export interface RunBenchResult {
  /** A row for every cell of the grid, in grid order: earlier runs' and this run's. */
  rows: BenchResultRow[];
  /** Rows this run appended. */
  written: number;
  /** Cells skipped because the file already had their row. */
  skipped: number;
  /** What this run recorded on its rows; undefined when it had no cell to run. */
  provenance: ModelProvenance | undefined;
  /** Items of the grid whose context is empty, answered without a sleep run (none when the grid skips them). */
  emptyContextItems: number;
  /** Cells of the ablations (context-only, sleep-time-no-question) left out because their item's context is empty. */
  skippedAblationCells: number;
}

interface SleepOutcome {
  learned: string | undefined;
  usage: Usage;
  /** The failure, when the sleep run failed. */
  error: unknown;
}

function grade(item: BenchItem, answer: string): { final: number | null; correct: boolean } {
  if (item.grader === 'aime') return { final: extractAimeAnswer(answer) ?? null, correct: gradeAime(answer, item.answer) };
  return { final: extractGsmAnswer(answer) ?? null, correct: gradeGsm(answer, item.answer) };
}

export async function runBench(options: RunBenchOptions): Promise<RunBenchResult> {
  const grid = parseGridSpec(options.grid);
  const concurrency = options.concurrency ?? defaultBenchConcurrency;
  checkRunnerOptions({ concurrency, provenance: options.provenance });
  const now = options.now ?? Date.now;
  const { model } = options;
  const modelIdentity = options.modelIdentity ?? model.spec;
  const { cells, skippedAblationCells } = planGrid(options.items, grid, { model: modelIdentity });

  // Every budget is mapped before the first call: a knob this provider lacks stops the run now,
  // not after hours of calls. Test-time settings depend on the verbosity the item answers at.
  const testSettings = new Map<string, CallSettings>();
  const testSettingsKey = (item: BenchItem, testBudget: TestTimeBudget) => contentHash({ ...testBudget, verbosity: answerVerbosityFor(item, testBudget) });
  const sleepSettings = new Map<string, CallSettings>();
  for (const cell of cells) {
    const testKey = testSettingsKey(cell.item, cell.testBudget);
    if (!testSettings.has(testKey)) {
      const { effort, thinkingBudget, budgetForcing } = cell.testBudget;
      // Never unbounded: the engine's defaults for an ask at this verbosity (plus room for the thinking
      // a budget asks for, forced or not), unless the grid sets a limit.
      const maxOutputTokens =
        grid.testMaxOutputTokens ??
        defaultOutputLimit(
          defaultAskMaxOutputTokens[answerVerbosityFor(cell.item, cell.testBudget)],
          { effort, thinkingBudget: thinkingBudget ?? budgetForcing?.thinkingTokens },
          model.provider,
        );
      testSettings.set(testKey, model.callSettings(definedOnly({ maxOutputTokens, effort, thinkingBudget, budgetForcing })));
    }
    if (cell.sleepBudget !== null && !sleepSettings.has(contentHash(cell.sleepBudget))) {
      sleepSettings.set(
        contentHash(cell.sleepBudget),
        model.callSettings(
          definedOnly({
            maxOutputTokens: grid.sleepMaxOutputTokens ?? defaultOutputLimit(defaultSleepCallMaxOutputTokens, { effort: cell.sleepBudget.effort }, model.provider),
            effort: cell.sleepBudget.effort,
          }),
        ),
      );
    }
  }

  const cellKeys = new Set(cells.map((cell) => cell.key));
  const existingRows = await prepareResultsFile(options.resultsPath, {
    ...(options.retryFailedRows === false ? {} : { retryKeys: cellKeys }),
  });
  const finished = new Map<string, BenchResultRow>();
  for (const row of existingRows) if (cellKeys.has(row.key)) finished.set(row.key, row);
  const skipped = finished.size;
  const pending = cells.filter((cell) => !finished.has(cell.key));

  // Stops in-flight calls when the caller aborts or a cell hits a fatal error.
  const stopper = new AbortController();
  const runSignal = options.signal === undefined ? stopper.signal : AbortSignal.any([options.signal, stopper.signal]);
  const provenance = pending.length === 0 ? undefined : await recordedProvenance(model, options.provenance, runSignal);
  const limitedModel = withConcurrencyLimit(model.languageModel, createConcurrencyLimiter(concurrency));
  const cache = createModelCallCache({ directory: options.cacheDir, now });

  // ------------------------------------------------------------------------------------------------
  // Progress

  const startedAt = now();
  const progress = { done: skipped, correct: 0, errors: 0, testTokens: 0, sleepTokens: 0, modelCalls: 0, cachedCalls: 0 };
  const countedSleepRuns = new Set<string>();
  const countSleepRun = (key: string | null, usage: Usage | null) => {
    if (key === null || usage === null || countedSleepRuns.has(key)) return;
    countedSleepRuns.add(key);
    progress.sleepTokens += usage.outputTokens;
  };
  const countRow = (row: BenchResultRow) => {
    if (row.correct) progress.correct += 1;
    if (row.error !== undefined) progress.errors += 1;
    progress.testTokens += row.testUsage.outputTokens;
    countSleepRun(row.sleepRunKey, row.sleepUsage);
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
        total: cells.length,
        skipped,
        elapsedMs,
        etaMs: doneNow === 0 ? (remaining === 0 ? 0 : null) : Math.round((elapsedMs / doneNow) * remaining),
      });
    } catch {
      // See RunBenchOptions.onProgress.
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

  // ------------------------------------------------------------------------------------------------
  // Shared sleep runs: made once, freed when the last pending cell that reads them is done.

  const sleepRuns = new Map<string, Promise<SleepOutcome>>();
  const sleepReaders = new Map<string, number>();
  for (const cell of pending) {
    if (cell.sleepRunKey !== null) sleepReaders.set(cell.sleepRunKey, (sleepReaders.get(cell.sleepRunKey) ?? 0) + 1);
  }

  const performSleepRun = async (item: BenchItem, sleepBudget: SleepTimeBudget, seed: number): Promise<SleepOutcome> => {
    let usage: Usage = zeroUsage;
    try {
      const learned = await runSharedSleep({
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
        promptStyle: sleepPromptStyleFor(item),
        ...(grid.maxMemoryCharacters === undefined ? {} : { maxMemoryCharacters: grid.maxMemoryCharacters }),
        signal: runSignal,
      });
      return { learned, usage, error: undefined };
    } catch (error) {
      return { learned: undefined, usage, error };
    }
  };

  const sleepRunFor = (cell: BenchCell & { sleepRunKey: string; sleepBudget: SleepTimeBudget }): Promise<SleepOutcome> => {
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

  const ask = async (
    prompt: { system: string; user: string },
    cell: BenchCell,
    settings: { temperature: number; seed: number },
  ): Promise<{ text: string; meter: CellMeter; error: unknown }> => {
    const meter = new CellMeter();
    const callSettings = testSettings.get(testSettingsKey(cell.item, cell.testBudget)) ?? {};
    try {
      const result = await generateText({
        model: cachedModel((event) => meter.add(event)),
        system: prompt.system,
        messages: [{ role: 'user', content: prompt.user }],
        // The model layer retries; retrying here too would multiply attempts.
        maxRetries: 0,
        maxOutputTokens: callSettings.maxOutputTokens,
        providerOptions: callSettings.providerOptions,
        temperature: settings.temperature,
        seed: settings.seed,
        abortSignal: runSignal,
      });
      return { text: result.text, meter, error: undefined };
    } catch (error) {
      return { text: '', meter, error };
    }
  };

  const baseRow = (cell: BenchCell) => ({
    key: cell.key,
    dataset: cell.item.dataset,
    itemId: cell.item.id,
    contextGroup: cell.item.contextGroup,
    condition: cell.condition,
    testBudget: definedOnly(cell.testBudget),
    sleepBudget: cell.sleepBudget === null ? null : definedOnly(cell.sleepBudget),
    ...(cell.samples === undefined ? {} : { samples: cell.samples }),
    seed: cell.seed,
    model: cell.model,
    expected: cell.item.answer,
    ...(hasEmptyContext(cell.item) ? { emptyContext: true as const } : {}),
    ...(cell.sleepRunKey !== null && grid.maxMemoryCharacters !== undefined ? { maxMemoryCharacters: grid.maxMemoryCharacters } : {}),
    ...(provenance === undefined ? {} : { provenance }),
  });

  /** What a failed cell's row says; throws when the failure must stop the run instead. */
  const rowError = (error: unknown): { code: string; message: string } => cellError(error, runSignal);

  const runCell = async (cell: BenchCell): Promise<BenchResultRow> => {
    const { item } = cell;
    const verbosity: Verbosity = answerVerbosityFor(item, cell.testBudget);
    const createdAt = () => new Date().toISOString();

    if (cell.condition === 'pass-at-k') {
      const samples = cell.samples ?? 1;
      const prompt = buildAskPrompt({ question: item.query, verbosity, contextText: item.context });
      const answers = await Promise.all(
        Array.from({ length: samples }, (_, sample) =>
          ask(prompt, cell, { temperature: grid.samplingTemperature, seed: deriveSeed(cell.seed, `pass-at-k-sample-${sample}`) }),
        ),
      );
      const testUsage = sumUsage(answers.map((answer) => answer.meter.usage));
      const truncatedBy = answers.find((answer) => answer.meter.truncatedBy !== undefined)?.meter.truncatedBy;
      // Samples are drawn in parallel: the query waits for the slowest.
      const latencyMs = Math.max(0, ...answers.map((answer) => answer.meter.latencyMs));
      const failure = answers.find((answer) => answer.error !== undefined);
      if (failure !== undefined) {
        return { ...baseRow(cell), final: null, correct: false, testUsage, sleepRunKey: null, sleepUsage: null, latencyMs, error: rowError(failure.error), createdAt: createdAt() };
      }
      const graded = answers.map((answer) => grade(item, answer.text));
      const chosen = graded.find((result) => result.correct) ?? graded[0];
      return {
        ...baseRow(cell),
        final: chosen?.final ?? null,
        correct: chosen?.correct ?? false,
        testUsage,
        sleepRunKey: null,
        sleepUsage: null,
        latencyMs,
        ...(truncatedBy === undefined ? {} : { truncatedBy }),
        createdAt: createdAt(),
      };
    }

    let prompt: { system: string; user: string };
    let sleepRunKey: string | null = null;
    let sleepUsage: Usage | null = null;
    if (readsSleepRun(cell.condition) && cell.sleepRunKey !== null && cell.sleepBudget !== null) {
      sleepRunKey = cell.sleepRunKey;
      const sleep = await sleepRunFor({ ...cell, sleepRunKey: cell.sleepRunKey, sleepBudget: cell.sleepBudget });
      sleepUsage = sleep.usage;
      if (sleep.learned === undefined) {
        return {
          ...baseRow(cell),
          final: null,
          correct: false,
          testUsage: zeroUsage,
          sleepRunKey,
          sleepUsage,
          latencyMs: 0,
          error: rowError(sleep.error),
          createdAt: createdAt(),
        };
      }
      prompt =
        cell.condition === 'sleep-time-no-question'
          ? buildQuestionWithheldPrompt({ learnedContext: sleep.learned, contextText: item.context, verbosity })
          : buildAskPrompt({ question: item.query, verbosity, learnedContext: sleep.learned, contextText: item.context });
    } else if (cell.condition === 'context-only') {
      prompt = buildContextOnlyPrompt({ contextText: item.context, verbosity });
    } else {
      // Test-time only, and sleep-time on an empty context (nothing to sleep on): the same prompt.
      prompt = buildAskPrompt({ question: item.query, verbosity, contextText: item.context });
    }

    const answer = await ask(prompt, cell, { temperature: grid.testTemperature, seed: cell.seed });
    const common = {
      testUsage: answer.meter.usage,
      sleepRunKey,
      sleepUsage,
      latencyMs: answer.meter.latencyMs,
      ...(answer.meter.truncatedBy === undefined ? {} : { truncatedBy: answer.meter.truncatedBy }),
    };
    if (answer.error !== undefined) {
      return { ...baseRow(cell), final: null, correct: false, ...common, error: rowError(answer.error), createdAt: createdAt() };
    }
    return { ...baseRow(cell), ...grade(item, answer.text), ...common, createdAt: createdAt() };
  };

  // ------------------------------------------------------------------------------------------------
  // Workers: twice as many cells in progress as call slots, so the slots stay busy while some cells
  // wait for a shared sleep run. Model calls are bounded by the limiter, not here.

  reportProgress();
  await runCellPool({
    pending,
    workers: 2 * concurrency,
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
  const emptyContextItems = new Set(cells.filter((cell) => hasEmptyContext(cell.item)).map((cell) => `${cell.item.dataset}\u0000${cell.item.id}`)).size;
  return { rows, written: progress.done - skipped, skipped, provenance, emptyContextItems, skippedAblationCells };
}
