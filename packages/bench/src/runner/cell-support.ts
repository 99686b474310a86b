/**
 * What the grid runners (run-bench.ts for the question-answering datasets, the SWE-Features runner)
 * share about a cell: its meter of test-time calls, the row's record of where the model's answers
 * come from, which failures become a row's `error` and which stop the run, and budgets written with
 * only the knobs that were set, and the pool that runs the cells.
 */
import { AISDKError } from '@ai-sdk/provider';
import { SleeptimeError, STATED_PROVENANCE_KINDS, errorMessage, systemError, userError } from '@sleeptime/core';
import { addUsage, truncationLimit, zeroUsage, type ModelProvenance, type SleeptimeModel, type StatedProvenanceKind, type TruncationLimit, type Usage } from '@sleeptime/core';
import type { ModelCallEvent } from './model-call-cache.js';
import { openResultsAppender, type ResultsRowBase } from './results-file.js';

/** Per cell: the test-time calls it made (or got from the cache). */
export class CellMeter {
  usage: Usage = zeroUsage;
  latencyMs = 0;
  /** The first limit that cut a call short, if any. */
  truncatedBy: TruncationLimit | undefined;
  add(event: ModelCallEvent): void {
    this.usage = addUsage(this.usage, event.usage);
    this.latencyMs += event.durationMs;
    this.truncatedBy ??= truncationLimit(event.finishReason, event.rawFinishReason) ?? undefined;
  }
}

/** Rows record only the budget knobs that were set. */
export function definedOnly<Value extends object>(value: Value): Value {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Value;
}

/** The caller's statement wins; else the model's own account; else unknown. */
export async function recordedProvenance(model: SleeptimeModel, stated: StatedProvenanceKind | undefined, signal: AbortSignal): Promise<ModelProvenance> {
  if (stated !== undefined) return { kind: stated, source: 'stated' };
  if (model.provenance === undefined) return { kind: 'unknown', source: 'none', detail: `${model.spec} says nothing about its provenance` };
  try {
    return await model.provenance({ signal });
  } catch (error) {
    // The contract says it never throws; a model that does still must not stop the run.
    return { kind: 'unknown', source: 'none', detail: `asking ${model.spec} failed: ${errorMessage(error)}` };
  }
}

/** The runners' options every runner checks the same way: concurrency and a stated provenance. */
export function checkRunnerOptions(options: { concurrency: number; provenance?: StatedProvenanceKind | undefined }): void {
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw userError('invalid_option', `concurrency must be an integer from 1 to 256, got ${String(concurrency)}`, { field: 'concurrency' });
  }
  if (options.provenance !== undefined && !(STATED_PROVENANCE_KINDS as readonly string[]).includes(options.provenance)) {
    throw userError('invalid_option', `provenance must be one of ${STATED_PROVENANCE_KINDS.join(', ')}, got ${String(options.provenance)}`, { field: 'provenance' });
  }
}

/**
 * What a failed cell's row says; throws when the failure must stop the run instead: after the run
 * was stopped, a user or system error, a refused key (it would fail every cell the same way), or
 * anything that is not a model call's failure.
 */
export function cellError(error: unknown, runSignal: AbortSignal): { code: string; message: string } {
  if (runSignal.aborted) throw error;
  if (SleeptimeError.isInstance(error)) {
    if (error.category !== 'upstream') throw error;
    // A refused key fails every cell the same way: stop instead of writing thousands of such rows.
    const status = error.details.status;
    if (status === 401 || status === 403) throw error;
    return { code: error.code, message: error.message };
  }
  // The AI SDK's own errors are about what the model sent back (no output, unparsable reply...).
  if (AISDKError.isInstance(error)) return { code: 'model_call_failed', message: errorMessage(error) };
  throw systemError('bench_failed', `The benchmark failed: ${errorMessage(error)}`, error);
}

export interface CellPoolOptions<Cell extends { sleepRunKey: string | null }, Row extends ResultsRowBase> {
  /** The cells still to run, in order. */
  pending: readonly Cell[];
  /** Cells in progress at once. */
  workers: number;
  /** Where each row is appended as soon as its cell ends. */
  resultsPath: string;
  /** Stops the pool when aborted (the caller's signal, or `stop`). */
  runSignal: AbortSignal;
  /** The caller's own signal: a cancellation it asked for is not a failure. */
  callerSignal: AbortSignal | undefined;
  /** Stops the other cells' calls after a fatal error. */
  stop: () => void;
  runCell: (cell: Cell) => Promise<Row>;
  /** A row written to the results file. */
  onRow: (row: Row) => void;
  /** A cell that ended, written or not: its hold on a shared sleep run is released. */
  releaseSleepRun: (sleepRunKey: string) => void;
}

/**
 * Runs the cells of a grid runner: `workers` at a time, each row appended as its cell ends (so an
 * interrupted run resumes from there). The first fatal error stops the other cells and is thrown
 * (a SleeptimeError as it is, anything else as `bench_failed`); a cancellation by the caller is
 * thrown as `aborted`, saying how many rows this run wrote.
 */
export async function runCellPool<Cell extends { sleepRunKey: string | null }, Row extends ResultsRowBase>(options: CellPoolOptions<Cell, Row>): Promise<void> {
  const { pending, runSignal } = options;
  const appender = await openResultsAppender<Row>(options.resultsPath);
  let fatal: { error: unknown } | undefined;
  let next = 0;
  let written = 0;
  const worker = async () => {
    while (fatal === undefined && !runSignal.aborted) {
      const cell = pending[next];
      next += 1;
      if (cell === undefined) return;
      try {
        const row = await options.runCell(cell);
        await appender.append(row);
        written += 1;
        options.onRow(row);
      } catch (error) {
        // After a stop, the other cells' failures are only its echoes.
        if (fatal === undefined && !(options.callerSignal?.aborted ?? false)) {
          fatal = { error };
          options.stop();
        }
        return;
      } finally {
        if (cell.sleepRunKey !== null) options.releaseSleepRun(cell.sleepRunKey);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(options.workers, Math.max(1, pending.length)) }, worker));
  } finally {
    await appender.close();
  }

  if (fatal !== undefined) {
    const { error } = fatal;
    if (SleeptimeError.isInstance(error)) throw error;
    throw systemError('bench_failed', `The benchmark failed: ${errorMessage(error)}`, error);
  }
  if (options.callerSignal?.aborted === true) {
    throw new SleeptimeError({
      code: 'aborted',
      category: 'user',
      message: `The benchmark was cancelled after ${written} new row(s); run it again to resume`,
      cause: options.callerSignal.reason,
    });
  }
}
