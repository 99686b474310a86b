/**
 * The results file: one row a line (JSON Lines), appended as each row finishes. Rows are
 * `BenchResultRow`s unless a `ResultsRowFormat` says otherwise (SWE-Features rows have their own).
 *
 * Crash safety: a row is one `write` of its whole line, newline included, followed by an fdatasync,
 * so the only damage a crash can do is a torn last line. Readers drop an unreadable last line; a bad
 * line anywhere else is an error naming the file and line (that is not a crash, it is a damaged or
 * foreign file). Before a run appends, the file is repaired (torn tail removed) by writing the good
 * rows to a temporary file and renaming it into place, so appends never glue onto half a line.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { budgetForcingSchema, modelProvenanceSchema, systemError, userError } from '@sleeptime/core';
import { writeFileAtomically } from '@sleeptime/core';
import type { BenchResultRow } from '../bench-types.js';

const usageSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  reasoningTokens: z.number(),
});

const testBudgetSchema = z.object({
  verbosity: z.literal([0, 1, 2, 3, 4]).optional(),
  effort: z.enum(['low', 'medium', 'high']).optional(),
  thinkingBudget: z.number().optional(),
  // Kept: two forced budgets are two test-time budgets to every analysis.
  budgetForcing: budgetForcingSchema.optional(),
});

/** A row as written by the runner; unknown extra fields are kept (the format may grow). */
export const benchResultRowSchema = z.looseObject({
  key: z.string().min(1),
  dataset: z.string(),
  itemId: z.string(),
  contextGroup: z.string(),
  condition: z.enum(['test-time-only', 'sleep-time', 'context-only', 'sleep-time-no-question', 'pass-at-k']),
  testBudget: testBudgetSchema,
  sleepBudget: z.object({ parallel: z.number().int(), effort: z.enum(['low', 'medium', 'high']).optional() }).nullable(),
  samples: z.number().int().optional(),
  seed: z.number().int(),
  model: z.string(),
  expected: z.number(),
  final: z.number().nullable(),
  correct: z.boolean(),
  testUsage: usageSchema,
  sleepRunKey: z.string().nullable(),
  sleepUsage: usageSchema.nullable(),
  maxMemoryCharacters: z.number().int().optional(),
  latencyMs: z.number(),
  emptyContext: z.literal(true).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  provenance: modelProvenanceSchema.optional(),
  createdAt: z.string(),
});

/** What every kind of results row has: a key (resume skips rows it has) and, when it failed, an error. */
export interface ResultsRowBase {
  key: string;
  error?: unknown;
}

/** How one kind of row is read back from its line. */
export interface ResultsRowFormat<Row extends ResultsRowBase> {
  /** What a row is called in an error message ("benchmark result row"). */
  name: string;
  /** The row, or undefined when the value is not one. */
  parse(value: unknown): Row | undefined;
}

/** The rows of the question-answering datasets (GSM-Symbolic, AIME, Multi-Query). */
export const benchResultRowFormat: ResultsRowFormat<BenchResultRow> = {
  name: 'benchmark result row',
  parse(value) {
    const parsed = benchResultRowSchema.safeParse(value);
    return parsed.success ? (parsed.data as BenchResultRow) : undefined;
  },
};

// The question-answering rows are the default of every function below.
const defaultFormat = benchResultRowFormat as unknown as ResultsRowFormat<never>;

export interface ResultsFileContents<Row extends ResultsRowBase = BenchResultRow> {
  rows: Row[];
  /** The last line could not be read (a crash while it was written) and was left out. */
  tornLastLine: boolean;
}

function parseRow<Row extends ResultsRowBase>(line: string, format: ResultsRowFormat<Row>): Row | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return format.parse(value);
}

/** Reads a results file (none yet: no rows), dropping a torn last line. */
export async function readResultsFile<Row extends ResultsRowBase = BenchResultRow>(
  path: string,
  format: ResultsRowFormat<Row> = defaultFormat,
): Promise<ResultsFileContents<Row>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], tornLastLine: false };
    throw systemError('results_read_failed', `Could not read the results file ${path}: ${(error as Error).message}`, error);
  }
  const lines = text.split('\n');
  const lastContentLine = lines.findLastIndex((line) => line.trim() !== '');
  const rows: Row[] = [];
  let tornLastLine = false;
  for (let index = 0; index <= lastContentLine; index += 1) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    const row = parseRow(line, format);
    if (row !== undefined) {
      rows.push(row);
    } else if (index === lastContentLine) {
      tornLastLine = true;
    } else {
      throw userError(
        'results_malformed',
        `${path}, line ${index + 1}: not a ${format.name}. Only the last line may be damaged (by a crash); fix or move this file.`,
        { path, line: index + 1 },
      );
    }
  }
  return { rows, tornLastLine };
}

/**
 * Readies a results file for appending and returns its rows: drops a torn last line, repeated keys
 * (the first row of a key is kept, or its first successful one) and failed rows whose keys are in
 * `retryKeys` (they are about to be run again). The file is rewritten only if something changed.
 */
export async function prepareResultsFile<Row extends ResultsRowBase = BenchResultRow>(
  path: string,
  options: { retryKeys?: ReadonlySet<string>; format?: ResultsRowFormat<Row> } = {},
): Promise<Row[]> {
  const { rows, tornLastLine } = await readResultsFile(path, options.format ?? defaultFormat);
  const retryKeys = options.retryKeys ?? new Set<string>();
  const chosen = new Map<string, Row>();
  for (const row of rows) {
    const current = chosen.get(row.key);
    if (current === undefined || (current.error !== undefined && row.error === undefined)) chosen.set(row.key, row);
  }
  const kept = rows.filter((row) => chosen.get(row.key) === row && !(row.error !== undefined && retryKeys.has(row.key)));
  if (tornLastLine || kept.length !== rows.length) await replaceFile(path, kept);
  return kept;
}

async function replaceFile(path: string, rows: readonly ResultsRowBase[]): Promise<void> {
  try {
    await writeFileAtomically(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  } catch (error) {
    throw systemError('results_write_failed', `Could not rewrite the results file ${path}: ${(error as Error).message}`, error);
  }
}

export interface ResultsAppender<Row extends ResultsRowBase = BenchResultRow> {
  /** Resolves once the row's line is on disk. Appends are serialized, in call order. */
  append(row: Row): Promise<void>;
  close(): Promise<void>;
}

export async function openResultsAppender<Row extends ResultsRowBase = BenchResultRow>(path: string): Promise<ResultsAppender<Row>> {
  let handle: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true });
    handle = await open(path, 'a');
  } catch (error) {
    throw systemError('results_write_failed', `Could not open the results file ${path}: ${(error as Error).message}`, error);
  }
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    append(row) {
      if (closed) return Promise.reject(systemError('results_write_failed', `The results file ${path} is already closed`));
      const line = `${JSON.stringify(row)}\n`;
      const written = queue.then(async () => {
        try {
          // One write per line: a crash can only tear the line being written, never interleave two.
          await handle.appendFile(line, 'utf8');
          await handle.datasync();
        } catch (error) {
          throw systemError('results_write_failed', `Could not append to the results file ${path}: ${(error as Error).message}`, error);
        }
      });
      queue = written.catch(() => {});
      return written;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await handle.close();
    },
  };
}
