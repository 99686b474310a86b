import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { STATED_PROVENANCE_KINDS, userError } from '@sleeptime/core';
import type { BenchProgress, BenchProgressBar, BenchProgressBarOptions, GridSpecInput, SweFeaturesGridInput } from '@sleeptime/bench';
import { createModel, defaultModelCacheDir, resolveModelSpec, type SleeptimeModel } from '@sleeptime/core';
import { integerFlag, modelOptionsFrom, parseFlag, type GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';

const conditionNames = ['test-time-only', 'sleep-time', 'context-only', 'sleep-time-no-question', 'pass-at-k'] as const;

function listFlag<T>(value: string | undefined, flag: string, item: z.ZodType<T>, expected: string): T[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((part) => part.trim());
  return parts.map((part) => parseFlag(item, part, flag, expected));
}

const integerItem = z
  .string()
  .regex(/^\d+$/)
  .transform(Number)
  .pipe(z.number().int());

async function readGridFile(file: string | undefined): Promise<GridSpecInput> {
  if (file === undefined) return {};
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw userError('unreadable_file', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`, { path: file });
  }
  try {
    return JSON.parse(text) as GridSpecInput;
  } catch {
    throw userError('invalid_grid', `${file} is not valid JSON`);
  }
}

interface BenchFlags {
  data: string;
  results?: string;
  grid?: string;
  conditions?: string;
  verbosity?: string;
  effort?: string;
  thinkingBudget?: string;
  parallel?: string;
  sleepEffort?: string;
  passAtK?: string;
  seeds?: string;
  maxMemoryCharacters?: string;
  limit?: string;
  concurrency: string;
  cacheDir?: string;
  provenance?: string;
  steps?: string;
  repo?: string;
}

const PROVENANCE_OPTION_HELP =
  `where the model's answers come from, recorded with the results in place of what sleeptime detects: ${STATED_PROVENANCE_KINDS.join(', ')}`;

function provenanceFlag(value: string | undefined) {
  if (value === undefined) return undefined;
  return parseFlag(z.enum(STATED_PROVENANCE_KINDS), value, '--provenance', `one of ${STATED_PROVENANCE_KINDS.join(', ')}`);
}

/** Flags override the grid file, field by field. */
async function gridFromFlags(flags: BenchFlags): Promise<GridSpecInput> {
  const grid: GridSpecInput = { ...(await readGridFile(flags.grid)) };
  const conditions = listFlag(flags.conditions, '--conditions', z.enum(conditionNames), `a comma-separated list of ${conditionNames.join(', ')}`);
  if (conditions) grid.conditions = conditions;
  const verbosity = listFlag(flags.verbosity, '--verbosity', integerItem.pipe(z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)])), 'levels from 0 to 4, comma-separated');
  const effort = listFlag(flags.effort, '--effort', z.enum(['low', 'medium', 'high']), 'low, medium or high, comma-separated');
  const thinkingBudget = listFlag(flags.thinkingBudget, '--thinking-budget', integerItem.pipe(z.number().min(1)), 'token counts, comma-separated');
  if (verbosity || effort || thinkingBudget) {
    grid.testBudgets = {
      ...(verbosity ? { verbosity } : {}),
      ...(effort ? { effort } : {}),
      ...(thinkingBudget ? { thinkingBudget } : {}),
    };
  }
  const parallel = listFlag(flags.parallel, '--parallel', integerItem.pipe(z.number().min(1).max(16)), 'k values from 1 to 16, comma-separated');
  const sleepEffort = listFlag(flags.sleepEffort, '--sleep-effort', z.enum(['low', 'medium', 'high']), 'low, medium or high, comma-separated');
  if (parallel || sleepEffort) grid.sleepBudgets = { parallel: parallel ?? [1], ...(sleepEffort ? { effort: sleepEffort } : {}) };
  const passAtK = listFlag(flags.passAtK, '--pass-at-k', integerItem.pipe(z.number().min(1).max(64)), 'sample counts, comma-separated');
  if (passAtK) grid.passAtK = passAtK;
  const seeds = listFlag(flags.seeds, '--seeds', integerItem, 'integers, comma-separated');
  if (seeds) grid.seeds = seeds;
  const maxMemoryCharacters = integerFlag(flags.maxMemoryCharacters, '--max-memory-characters', 100, 1_000_000);
  if (maxMemoryCharacters !== undefined) grid.maxMemoryCharacters = maxMemoryCharacters;
  return grid;
}

const sweFeaturesConditionNames = ['test-time-only', 'sleep-time'] as const;

/** The flags whose budgets SWE-Features items do not have: their test-time budget is the step budget. */
const questionAnsweringOnlyFlags: ReadonlyArray<[keyof BenchFlags, string]> = [
  ['verbosity', '--verbosity'],
  ['effort', '--effort'],
  ['thinkingBudget', '--thinking-budget'],
  ['passAtK', '--pass-at-k'],
];

/** The SWE-Features grid: the grid file, with the flags over it field by field. */
async function sweFeaturesGridFromFlags(flags: BenchFlags): Promise<SweFeaturesGridInput> {
  for (const [field, flag] of questionAnsweringOnlyFlags) {
    if (flags[field] !== undefined) {
      throw userError('invalid_option', `${flag} does not apply to SWE-Features items: their test-time budget is the coding agent's step budget (--steps)`, { field: flag });
    }
  }
  const grid = { ...(await readGridFile(flags.grid)) } as SweFeaturesGridInput;
  const conditions = listFlag(flags.conditions, '--conditions', z.enum(sweFeaturesConditionNames), `a comma-separated list of ${sweFeaturesConditionNames.join(', ')} (SWE-Features items)`);
  if (conditions) grid.conditions = conditions;
  const steps = listFlag(flags.steps, '--steps', integerItem.pipe(z.number().min(1).max(500)), 'step budgets from 1 to 500, comma-separated');
  if (steps) grid.steps = steps;
  const parallel = listFlag(flags.parallel, '--parallel', integerItem.pipe(z.number().min(1).max(16)), 'k values from 1 to 16, comma-separated');
  const sleepEffort = listFlag(flags.sleepEffort, '--sleep-effort', z.enum(['low', 'medium', 'high']), 'low, medium or high, comma-separated');
  if (parallel || sleepEffort) grid.sleepBudgets = { parallel: parallel ?? [1], ...(sleepEffort ? { effort: sleepEffort } : {}) };
  const seeds = listFlag(flags.seeds, '--seeds', integerItem, 'integers, comma-separated');
  if (seeds) grid.seeds = seeds;
  const maxMemoryCharacters = integerFlag(flags.maxMemoryCharacters, '--max-memory-characters', 100, 1_000_000);
  if (maxMemoryCharacters !== undefined) grid.maxMemoryCharacters = maxMemoryCharacters;
  return grid;
}

/** `sleeptime bench`: runs a grid of conditions and budgets on a dataset, resumable. */
export function registerBenchCommands(program: Command, output: CliOutput): void {
  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

  program
    .command('bench')
    .description('run the benchmark grid on a dataset file (JSONL from sleeptime data ...); resumes where it stopped')
    .requiredOption('-d, --data <file>', 'dataset JSONL: gsm-symbolic, multi-query, aime or swe-features rows')
    .option('-r, --results <file>', 'results JSONL, appended and resumed (default: bench-results/<data>.results.jsonl)')
    .option('--grid <file>', 'grid as JSON (conditions, testBudgets, sleepBudgets, passAtK, seeds, ...)')
    .option(
      '--conditions <list>',
      'of test-time-only, sleep-time, context-only (raw context, question withheld, no sleep), sleep-time-no-question (the released ablation: the sleep-time ask without its question), pass-at-k (default: all but sleep-time-no-question)',
    )
    .option('--verbosity <list>', 'test-time verbosity levels, e.g. 0,1,2,3,4')
    .option('--effort <list>', 'test-time reasoning efforts, e.g. low,medium,high')
    .option('--thinking-budget <list>', 'test-time thinking budgets in tokens, e.g. 1024,4096')
    .option('--parallel <list>', 'sleep-time k values, e.g. 1,2,5,10')
    .option('--sleep-effort <list>', 'sleep-time reasoning efforts (reasoning models), e.g. low,medium,high')
    .option('--pass-at-k <list>', 'pass@k sample counts (default: the k values)')
    .option('--seeds <list>', 'seeds, e.g. 0,1,2')
    .option('--max-memory-characters <n>', 'most characters each sleep-time memory may hold, e.g. 5000 as in the paper\'s runs (default: no limit)')
    .option('--steps <list>', 'SWE-Features: the coding agent\'s step budgets, e.g. 5,10,20 (the default)')
    .option('--repo <path>', 'SWE-Features: the repository (a clone) to run every item in, when it is no longer where the items say')
    .option('--limit <n>', 'only the first n items')
    .option('--concurrency <n>', 'model calls in flight at once (mind the provider rate limits)', '4')
    .option('--cache-dir <dir>', 'content-addressed cache of model calls (default ~/.cache/sleeptime/calls)')
    .option('--provenance <kind>', PROVENANCE_OPTION_HELP)
    .action(async (flags: BenchFlags, command: Command) => {
      const opts = globals(command);
      const provenance = provenanceFlag(flags.provenance);
      const { createBenchProgressBar, isSweFeaturesItemsFile, loadBenchItems, runBench } = await import('@sleeptime/bench');
      if (await isSweFeaturesItemsFile(flags.data)) {
        await runSweFeaturesBenchCommand(flags, opts, provenance, output);
        return;
      }
      for (const [value, flag] of [
        [flags.steps, '--steps'],
        [flags.repo, '--repo'],
      ] as const) {
        if (value !== undefined) throw userError('invalid_option', `${flag} applies to SWE-Features items only, and ${flags.data} holds other items`, { field: flag });
      }
      const grid = await gridFromFlags(flags);
      const limit = integerFlag(flags.limit, '--limit', 1, 10_000_000);
      const concurrency = integerFlag(flags.concurrency, '--concurrency', 1, 256);
      const allItems = await loadBenchItems(flags.data);
      const items = limit === undefined ? allItems : allItems.slice(0, limit);
      const { resultsPath, result } = await withBenchRun(flags, opts, createBenchProgressBar, (run) =>
        runBench({ items, grid, concurrency, ...run, ...(provenance === undefined ? {} : { provenance }) }),
      );
      const correct = result.rows.filter((row) => row.correct).length;
      const errors = result.rows.filter((row) => row.error !== undefined).length;
      const summary = {
        results: resultsPath,
        rows: result.rows.length,
        written: result.written,
        skipped: result.skipped,
        correct,
        errors,
        emptyContextItems: result.emptyContextItems,
        skippedAblationCells: result.skippedAblationCells,
        ...(result.provenance === undefined ? {} : { provenance: result.provenance }),
      };
      if (opts.json) output.stdout(`${JSON.stringify(summary)}\n`);
      else
        output.stdout(
          `${result.rows.length} rows in ${resultsPath} (${result.written} new, ${result.skipped} already there): ` +
            `${correct} correct, ${errors} failed calls.` +
            (result.emptyContextItems === 0
              ? ''
              : ` ${result.emptyContextItems} item(s) have an empty context: their sleep-time cells were answered without a sleep run` +
                (result.skippedAblationCells === 0 ? '.' : `, and ${result.skippedAblationCells} ablation cell(s) were left out.`)) +
            (result.provenance === undefined ? '' : ` Recorded provenance: ${result.provenance.kind} (${result.provenance.source}).`) +
            `\nNext: sleeptime report ${resultsPath} --out bench-report\n`,
        );
    });

  program
    .command('predictability')
    .description('score log p(query | context) per item with a model that returns token log-probabilities (a llama GGUF file, or an OpenAI-compatible server with prompt logprobs)')
    .requiredOption('-d, --data <file>', 'dataset JSONL (as for bench)')
    .requiredOption('-o, --out <file>', 'where to write the scores (JSONL)')
    .option('--limit <n>', 'only the first n items')
    .option('--provenance <kind>', PROVENANCE_OPTION_HELP)
    .action(async (flags: { data: string; out: string; limit?: string; provenance?: string }, command: Command) => {
      const opts = globals(command);
      const provenance = provenanceFlag(flags.provenance);
      const { loadBenchItems, predictabilityItemFromBenchItem, queryScoringModelFromSpec, scoreQueryLogProbability, writePredictabilityRows } = await import('@sleeptime/bench');
      const limit = integerFlag(flags.limit, '--limit', 1, 10_000_000);
      const allItems = await loadBenchItems(flags.data);
      const items = (limit === undefined ? allItems : allItems.slice(0, limit)).map(predictabilityItemFromBenchItem);
      const scorer = queryScoringModelFromSpec(resolveModelSpec(opts.model), { baseUrl: opts.baseUrl ?? process.env.SLEEPTIME_BASE_URL, apiKey: process.env.SLEEPTIME_API_KEY });
      const rows = await scoreQueryLogProbability(items, { scorer, ...(provenance === undefined ? {} : { provenance }) });
      await writePredictabilityRows(flags.out, rows);
      if (opts.json) output.stdout(`${JSON.stringify({ out: flags.out, items: rows.length })}\n`);
      else output.stdout(`Scored ${rows.length} queries into ${flags.out}. Use it with: sleeptime report <results> --predictability ${flags.out}\n`);
    });

  program
    .command('report <results>')
    .description('write a self-contained HTML report (one SVG per figure) and a markdown summary from bench results')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--predictability <file>', 'query log-probabilities from sleeptime predictability (figure d)')
    .option('--title <text>', 'report title')
    .option('--test-token-weight <t>', 'a test-time token costs t sleep-time tokens', '10')
    .option('--note <text>', 'a provenance note shown at the top (e.g. which model and hardware)')
    .action(
      async (
        resultsPath: string,
        flags: { out: string; predictability?: string; title?: string; testTokenWeight: string; note?: string },
        command: Command,
      ) => {
        const opts = globals(command);
        const { readPredictabilityRows, readResultsFile, readResultsKind, sweFeaturesResultRowFormat, writeReport } = await import('@sleeptime/bench');
        const testTokenWeight = integerFlag(flags.testTokenWeight, '--test-token-weight', 1, 1000);
        // A results file holds one kind of rows, told by its first row.
        const sweFeatures = (await readResultsKind(resultsPath)) === 'swe-features' ? (await readResultsFile(resultsPath, sweFeaturesResultRowFormat)).rows : [];
        const { rows } = sweFeatures.length > 0 ? { rows: [] } : await readResultsFile(resultsPath);
        if (rows.length === 0 && sweFeatures.length === 0) throw userError('empty_results', `${resultsPath} holds no results yet: run sleeptime bench first`);
        const predictability = flags.predictability === undefined ? undefined : await readPredictabilityRows(flags.predictability);
        const report = await writeReport({
          results: rows,
          sweFeatures,
          predictability,
          outDir: flags.out,
          title: flags.title,
          testTokenWeight,
          provenanceNote: flags.note,
        });
        if (opts.json) output.stdout(`${JSON.stringify(report)}\n`);
        else output.stdout(`Report: ${report.htmlPath}\nSummary: ${report.markdownPath}\nFigures: ${report.figures.length} SVG files in ${flags.out}\n`);
      },
    );
}

/** `sleeptime bench` on SWE-Features items: the step-budget grid with and without the notes. */
async function runSweFeaturesBenchCommand(flags: BenchFlags, opts: GlobalOptions, provenance: ReturnType<typeof provenanceFlag>, output: CliOutput): Promise<void> {
  const { createBenchProgressBar, loadSweFeaturesItems, runSweFeaturesBench } = await import('@sleeptime/bench');
  const grid = await sweFeaturesGridFromFlags(flags);
  const limit = integerFlag(flags.limit, '--limit', 1, 10_000_000);
  const concurrency = integerFlag(flags.concurrency, '--concurrency', 1, 256);
  const allItems = await loadSweFeaturesItems(flags.data, flags.repo === undefined ? {} : { repository: flags.repo });
  const items = limit === undefined ? allItems : allItems.slice(0, limit);
  const { resultsPath, result } = await withBenchRun(flags, opts, createBenchProgressBar, (run) =>
    runSweFeaturesBench({ items, grid, concurrency, ...run, ...(provenance === undefined ? {} : { provenance }) }),
  );
  const errors = result.rows.filter((row) => row.error !== undefined).length;
  const meanF1 = result.rows.length === 0 ? 0 : result.rows.reduce((sum, row) => sum + row.f1, 0) / result.rows.length;
  const summary = {
    results: resultsPath,
    rows: result.rows.length,
    written: result.written,
    skipped: result.skipped,
    meanF1,
    errors,
    ...(result.provenance === undefined ? {} : { provenance: result.provenance }),
  };
  if (opts.json) output.stdout(`${JSON.stringify(summary)}\n`);
  else
    output.stdout(
      `${result.rows.length} rows in ${resultsPath} (${result.written} new, ${result.skipped} already there): ` +
        `mean F1 ${(100 * meanF1).toFixed(1)}% over every cell, ${errors} failed.` +
        (result.provenance === undefined ? '' : ` Recorded provenance: ${result.provenance.kind} (${result.provenance.source}).`) +
        `\nNext: sleeptime report ${resultsPath} --out bench-report\n`,
    );
}

/** What both grid runners take from the command line: where results and cached calls go, the model, progress and Ctrl-C. */
interface BenchRunSetup {
  resultsPath: string;
  cacheDir: string;
  model: SleeptimeModel;
  modelIdentity: string;
  signal: AbortSignal;
  onProgress: (progress: BenchProgress) => void;
}

/**
 * Runs a grid runner the way `sleeptime bench` does for every kind of item: the results file named
 * after the data unless given, the model built from the global options (its identity includes an
 * OpenAI-compatible server's base URL), a progress bar on a terminal, and Ctrl-C stopping the run
 * with the rows so far kept. The model is closed however the run ends.
 */
async function withBenchRun<Result>(
  flags: BenchFlags,
  opts: GlobalOptions,
  createBenchProgressBar: (options: BenchProgressBarOptions) => BenchProgressBar,
  run: (setup: BenchRunSetup) => Promise<Result>,
): Promise<{ resultsPath: string; result: Result }> {
  const resultsPath = flags.results ?? path.join('bench-results', `${path.basename(flags.data).replace(/\.jsonl$/, '')}.results.jsonl`);
  const cacheDir = flags.cacheDir ?? path.join(path.dirname(defaultModelCacheDir()), 'calls');
  const modelSpec = resolveModelSpec(opts.model);
  const model = await createModel(modelSpec, { ...modelOptionsFrom(opts), baseUrl: opts.baseUrl, showProgress: !opts.json });
  const baseUrl = opts.baseUrl ?? process.env.SLEEPTIME_BASE_URL;
  const progressBar = createBenchProgressBar({ enabled: !opts.json && process.stderr.isTTY === true });
  const abort = new AbortController();
  const stop = () => abort.abort(userError('interrupted', 'interrupted: the results so far are kept; run the same command again to resume'));
  process.once('SIGINT', stop);
  try {
    const result = await run({
      resultsPath,
      cacheDir,
      model,
      // One spec can name different models on different servers: the base URL is part of the identity.
      modelIdentity: modelSpec.startsWith('openai-compatible:') && baseUrl ? `${modelSpec}@${baseUrl}` : modelSpec,
      signal: abort.signal,
      onProgress: progressBar.update,
    });
    return { resultsPath, result };
  } finally {
    progressBar.stop();
    process.off('SIGINT', stop);
    await model.close();
  }
}
