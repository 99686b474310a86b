/**
 * Every option set of the engine, defined once as a zod schema; the types are inferred from them,
 * and each option's description says what it must be (in error messages and the OpenAPI document).
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
  parallel: z.number().int().min(1).max(16).optional().describe('an integer from 1 to 16'),
  effort: effortSchema.optional().describe('one of low, medium, high'),
  /** Rewrites allowed per branch, 1..50. */
  maxRewrites: z.number().int().min(1).max(50).optional().describe('an integer from 1 to 50'),
  /** Example questions to prepare for (at most 50, of at most 2,000 characters each). */
  examples: z.array(z.string().max(2000)).max(50).optional().describe('a list of at most 50 strings of at most 2000 characters'),
  maxOutputTokens: positiveInteger.optional().describe('a positive integer'),
  /** Defaults to 0 for k = 1 and to `defaultParallelSleepTemperature` for k > 1. */
  temperature: temperatureSchema.optional().describe('a number from 0 to 2'),
  /** How the agent talks to the model: tool calls, tagged text (no tool calling), or auto (tools, text after a refusal). */
  protocol: z.enum(['auto', 'tools', 'text']).optional().describe('one of auto, tools, text'),
});

/** The test-time budget and prompt choices of an ask. */
export const askBudgetSchema = z.object({
  /** Answering style 0 (state the answer) .. 4 (reason thoroughly); default 3. */
  verbosity: z.number().int().min(0).max(4).optional().describe('an integer from 0 to 4'),
  effort: effortSchema.optional().describe('one of low, medium, high'),
  thinkingBudget: positiveInteger.optional().describe('a positive integer'),
  maxOutputTokens: positiveInteger.optional().describe('a positive integer'),
  /** Put the latest learned context in the prompt (default true); false is the test-time-only baseline. */
  useLearned: z.boolean().optional().describe('true or false'),
  /** Put the raw context in the prompt (default true, as in the paper's code). */
  includeContext: z.boolean().optional().describe('true or false'),
  /** Default 0. */
  temperature: temperatureSchema.optional().describe('a number from 0 to 2'),
});

export const listContextsOptionsSchema = z.object({
  /** Only ids starting with this prefix, in id order (keyset paging); without options: all, newest first. */
  prefix: z.string().optional(),
  /** Only ids after this one. */
  after: z.string().optional(),
  limit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('a whole number >= 0'),
});

export const runsOptionsSchema = z.object({ limit: positiveInteger.optional().describe('a positive integer') });

export const learnedDiffOptionsSchema = z.object({
  /** Learned-context versions are numbered 1, 2, ... in publication order. Defaults: the two latest. */
  from: z.number().int().min(1).optional().describe('a positive integer'),
  to: z.number().int().min(1).optional().describe('a positive integer'),
});

export type ContextContent = z.input<typeof contextContentSchema>;
export type AppendContent = z.input<typeof appendContentSchema>;
export type SleepBudget = z.input<typeof sleepBudgetSchema>;
export type AskBudget = z.input<typeof askBudgetSchema>;
export type RunsOptions = z.input<typeof runsOptionsSchema>;
export type LearnedDiffOptions = z.input<typeof learnedDiffOptionsSchema>;

/** Options that are budgets (how much to think or write): their errors are `invalid_budget`, the others' `invalid_option`. */
const budgetOptions = new Set(['parallel', 'maxRewrites', 'effort', 'verbosity', 'maxOutputTokens', 'thinkingBudget']);

/**
 * Parses the options of an engine call. Unknown keys are ignored (callers pass their own extra
 * fields); a wrong value is a user error naming the option and what it must be.
 */
export function parseOptions<Schema extends z.ZodObject>(schema: Schema, value: unknown): z.output<Schema> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? 'options');
  // Each option's schema describes what it must be.
  const range = (schema.shape as Record<string, z.ZodType | undefined>)[field]?.description;
  if (range === undefined) throw userError('invalid_option', `Invalid option ${field}: ${issue?.message ?? 'invalid value'}`, { field });
  throw userError(budgetOptions.has(field) ? 'invalid_budget' : 'invalid_option', `${field} must be ${range}`, { field, range });
}
