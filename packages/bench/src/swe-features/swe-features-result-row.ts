/**
 * A SWE-Features result row: one line of a SWE-Features results file, one cell of its grid (an item
 * under a condition, a step budget, a sleep-time budget and a seed). One zod schema; the type is
 * inferred from it. Rows say `benchmark: 'swe-features'`, which is how a results file's kind is told
 * (`readSweFeaturesResultsKind`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { modelProvenanceSchema, systemError } from '@sleeptime/core';
import type { ResultsRowFormat } from '../runner/results-file.js';
import { sweFeaturesConditions } from './swe-features-grid.js';

const usageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number(), reasoningTokens: z.number() });

export const codingAgentStopReasons = ['done', 'step-limit', 'model-stopped'] as const;

/** Unknown extra fields are kept (the format may grow). */
export const sweFeaturesResultRowSchema = z.looseObject({
  benchmark: z.literal('swe-features'),
  /** Deterministic key of the cell and everything that shapes its row (swe-features-grid.ts). */
  key: z.string().min(1),
  dataset: z.string(),
  itemId: z.string(),
  repositoryName: z.string(),
  baseCommit: z.string(),
  condition: z.enum(sweFeaturesConditions),
  /** N: the step budget the coding agent was given (`[Step: i/N]`). */
  stepBudget: z.number().int(),
  /** null for test-time only. */
  sleepBudget: z.object({ parallel: z.number().int(), effort: z.enum(['low', 'medium', 'high']).optional() }).nullable(),
  seed: z.number().int(),
  model: z.string(),
  /** Model calls the coding agent made (0 when the row failed before it ran). */
  stepsUsed: z.number().int(),
  /** Why the agent stopped; null when the row failed before it ended. */
  stopReason: z.enum(codingAgentStopReasons).nullable(),
  /** The files it changed (git's diff of its worktree against the base commit), sorted. */
  editedFiles: z.array(z.string()),
  /** The files the real change touched. */
  goldFiles: z.array(z.string()),
  /** Of `editedFiles` against `goldFiles` (`fileSetF1`); a failed row scores 0. */
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  /** Repository tool calls the agent made, and how many of them were refused with an error. */
  toolCalls: z.number().int(),
  failedToolCalls: z.number().int(),
  /** Test-time phase: the coding agent's calls. */
  testUsage: usageSchema,
  /** The sleep run whose notes this row used (sleep-time only), so its tokens count once per run. */
  sleepRunKey: z.string().nullable(),
  /** Sleep-time phase: the notes run (repeated on every row that used it); null for test-time only. */
  sleepUsage: usageSchema.nullable(),
  /** The notes' size limit of that sleep run, when the grid set one. */
  maxMemoryCharacters: z.number().int().optional(),
  latencyMs: z.number(),
  /** A limit cut one of the agent's replies short (the first one). */
  truncatedBy: z.enum(['max-output-tokens', 'time-limit', 'repetition']).optional(),
  /** The row failed (a model call after retries, or the sleep run): scored 0, reported apart. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  provenance: modelProvenanceSchema.optional(),
  createdAt: z.string(),
});

export type SweFeaturesResultRow = z.infer<typeof sweFeaturesResultRowSchema>;

export const sweFeaturesResultRowFormat: ResultsRowFormat<SweFeaturesResultRow> = {
  name: 'SWE-Features result row',
  parse(value) {
    const parsed = sweFeaturesResultRowSchema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  },
};

/**
 * Which kind of results a file holds, from its first row: `swe-features`, `question-answering` (the
 * other datasets' rows) or `empty` (no file, or no row yet).
 */
export async function readResultsKind(path: string): Promise<'swe-features' | 'question-answering' | 'empty'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'empty';
    throw systemError('results_read_failed', `Could not read the results file ${path}: ${(error as Error).message}`, error);
  }
  const first = text.split('\n').find((line) => line.trim() !== '');
  if (first === undefined) return 'empty';
  try {
    const value = JSON.parse(first) as unknown;
    if (typeof value === 'object' && value !== null && (value as { benchmark?: unknown }).benchmark === 'swe-features') return 'swe-features';
  } catch {
    // A torn only line: the readers say what to do with it.
  }
  return 'question-answering';
}
