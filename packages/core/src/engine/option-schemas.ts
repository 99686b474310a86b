/**
 * Every option set of the engine, defined once as a zod schema; the types are inferred from them.
 * The HTTP API extends these schemas for its bodies (adding its own fields), and a sleep job's
 * payload is a parsed `SleepBudget`, so a new option is added in one place.
 */
import { z } from 'zod';
import { userError } from '../errors.js';

/** Ids of contexts inside the store: 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit. */
export const contextIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const nonBlank = (what: string) => z.string().refine((text) => text.trim() !== '', { message: `${what} must not be empty` });
const positiveInteger = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const effortSchema = z.enum(['low', 'medium', 'high']);
export const temperatureSchema = z.number().min(0).max(2);

/** A context's text and metadata, as written by a put. */
export const contextContentSchema = z.object({
  text: nonBlank('text'),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** Text appended to a context (a conversation turn, a log line). */
export const appendContentSchema = z.object({
  text: nonBlank('text'),
  /** Put between the existing text and the new text; default a newline. */
  separator: z.string().max(16).default('\n'),
});

/** How hard to think at sleep time: the options a sleep run is started with, and a sleep job carries. */
export const sleepBudgetSchema = z.object({
  /** Number of independent sleep runs (k), 1..16; their memories are concatenated in branch order. */
  parallel: z.number().int().min(1).max(16).optional(),
  effort: effortSchema.optional(),
  /** Rewrites allowed per branch, 1..50. */
  maxRewrites: z.number().int().min(1).max(50).optional(),
  /** Example questions to prepare for (at most 50, of at most 2,000 characters each). */
  examples: z.array(z.string().max(2000)).max(50).optional(),
  maxOutputTokens: positiveInteger.optional(),
  /** Defaults to 0 for k = 1 and to `defaultParallelSleepTemperature` for k > 1. */
  temperature: temperatureSchema.optional(),
});

/** The test-time budget and prompt choices of an ask. */
export const askBudgetSchema = z.object({
  /** Answering style 0 (state the answer) .. 4 (reason thoroughly); default 3. */
  verbosity: z.number().int().min(0).max(4).optional(),
  effort: effortSchema.optional(),
  thinkingBudget: positiveInteger.optional(),
  maxOutputTokens: positiveInteger.optional(),
  /** Put the latest learned context in the prompt (default true); false is the test-time-only baseline. */
  useLearned: z.boolean().optional(),
  /** Put the raw context in the prompt (default true, as in the paper's code). */
  includeContext: z.boolean().optional(),
  /** Default 0. */
  temperature: temperatureSchema.optional(),
});

export const listContextsOptionsSchema = z.object({
  /** Only ids starting with this prefix, in id order (keyset paging); without options: all, newest first. */
  prefix: z.string().optional(),
  /** Only ids after this one. */
  after: z.string().optional(),
  limit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

export const runsOptionsSchema = z.object({ limit: positiveInteger.optional() });

export const learnedDiffOptionsSchema = z.object({
  /** Learned-context versions are numbered 1, 2, ... in publication order. Defaults: the two latest. */
  from: z.number().int().min(1).optional(),
  to: z.number().int().min(1).optional(),
});

export type ContextContent = z.input<typeof contextContentSchema>;
export type AppendContent = z.input<typeof appendContentSchema>;
export type SleepBudget = z.input<typeof sleepBudgetSchema>;
export type AskBudget = z.input<typeof askBudgetSchema>;
export type RunsOptions = z.input<typeof runsOptionsSchema>;
export type LearnedDiffOptions = z.input<typeof learnedDiffOptionsSchema>;

/** What each option must be, for error messages that say how to fix the input. */
const optionRanges: Record<string, { code: string; range: string }> = {
  parallel: { code: 'invalid_budget', range: 'an integer from 1 to 16' },
  maxRewrites: { code: 'invalid_budget', range: 'an integer from 1 to 50' },
  effort: { code: 'invalid_budget', range: 'one of low, medium, high' },
  verbosity: { code: 'invalid_budget', range: 'an integer from 0 to 4' },
  maxOutputTokens: { code: 'invalid_budget', range: 'a positive integer' },
  thinkingBudget: { code: 'invalid_budget', range: 'a positive integer' },
  temperature: { code: 'invalid_option', range: 'a number from 0 to 2' },
  examples: { code: 'invalid_option', range: 'a list of at most 50 strings of at most 2000 characters' },
  useLearned: { code: 'invalid_option', range: 'true or false' },
  includeContext: { code: 'invalid_option', range: 'true or false' },
  limit: { code: 'invalid_option', range: 'a positive integer' },
  from: { code: 'invalid_option', range: 'a positive integer' },
  to: { code: 'invalid_option', range: 'a positive integer' },
};

/**
 * Parses the options of an engine call. Unknown keys are ignored (callers pass their own extra
 * fields); a wrong value is a user error naming the option and what it must be.
 */
export function parseOptions<Schema extends z.ZodObject>(schema: Schema, value: unknown): z.output<Schema> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? 'options');
  const expected = optionRanges[field];
  if (expected === undefined) throw userError('invalid_option', `Invalid option ${field}: ${issue?.message ?? 'invalid value'}`, { field });
  throw userError(expected.code, `${field} must be ${expected.range}`, { field, range: expected.range });
}
