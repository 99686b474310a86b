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

/** With the `u` flag a pair is one code point, so this matches only a lone (unpaired) surrogate. */
const loneSurrogate = /\p{Surrogate}/u;

/**
 * Text that is stored or sent upstream as UTF-8: a lone surrogate would be silently replaced there,
 * so it is refused (`invalid_text`) instead. Works on any string schema.
 */
export function wellFormedText<Schema extends z.ZodType<string>>(what: string, schema: Schema) {
  return schema.superRefine((text, context) => {
    const at = text.search(loneSurrogate);
    if (at === -1) return;
    const unit = text.charCodeAt(at).toString(16);
    context.addIssue({ code: 'custom', params: { code: 'invalid_text' }, message: `${what} holds a lone UTF-16 surrogate (\\u${unit} at character ${at}); send well-formed Unicode` });
  });
}

/** Keys that a JavaScript object drops or that pollute prototypes when merged: refused, never silently lost. */
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** The first problem of metadata (a forbidden key or a lone surrogate, at any depth), or undefined. */
function metadataProblem(metadata: unknown): string | undefined {
  // An explicit stack: metadata nested deeper than the call stack must not crash the check.
  const pending: { value: unknown; path: string }[] = [{ value: metadata, path: 'metadata' }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, path } = item;
    if (typeof value === 'string') {
      if (loneSurrogate.test(value)) return `${path} holds a lone UTF-16 surrogate; send well-formed Unicode`;
    } else if (Array.isArray(value)) {
      value.forEach((element: unknown, index) => pending.push({ value: element, path: `${path}[${index}]` }));
    } else if (typeof value === 'object' && value !== null) {
      // Own keys as JSON.parse made them: `__proto__` is one here, though zod's record would drop it.
      for (const key of Object.keys(value)) {
        if (forbiddenKeys.has(key)) return `${path} has the key "${key}", which is not allowed`;
        if (loneSurrogate.test(key)) return `${path} has a key with a lone UTF-16 surrogate; send well-formed Unicode`;
        pending.push({ value: (value as Record<string, unknown>)[key], path: `${path}.${key}` });
      }
    }
  }
  return undefined;
}

/** Checked before the record parses it: zod's record silently drops a `__proto__` key. */
const metadataSchema = z.preprocess((value, context) => {
  const problem = metadataProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', params: { code: 'invalid_metadata' }, message: problem });
  return value;
}, z.record(z.string(), z.unknown()));
const positiveInteger = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const effortSchema = z.enum(['low', 'medium', 'high']);
export const temperatureSchema = z.number().min(0).max(2);

/** A context's text and metadata, as written by a put. */
export const contextContentSchema = z.object({
  text: wellFormedText('text', nonBlank('text')),
  metadata: metadataSchema.optional(),
});

/** Text appended to a context (a conversation turn, a log line). */
export const appendContentSchema = z.object({
  text: wellFormedText('text', nonBlank('text')),
  /** Put between the existing text and the new text; default a newline. */
  separator: wellFormedText('separator', z.string().max(16)).default('\n'),
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
  /**
   * The sleep-time instructions: `default` (questions about the context will come), `aime` (the
   * context is the first part of a math problem whose rest comes later: predict where it may go, as
   * the paper's Stateful AIME runs do) or `repository` (the context is a software repository's
   * tree, README and recent pull requests: write notes about it and the coming work). Default
   * `default`; a repository context (see `context put --repo`) sleeps with `repository`.
   */
  promptStyle: z.enum(['default', 'aime', 'repository']).optional().describe('one of default, aime, repository'),
  /**
   * The most characters (Unicode code points) a branch's memory block may hold, as the paper's
   * released runs cap theirs at 5,000: the agent is told the limit, and a longer rewrite is refused
   * with a message naming it, so the model writes a shorter one. Default: no limit.
   */
  maxMemoryCharacters: z.number().int().min(100).max(1_000_000).optional().describe('an integer from 100 to 1000000'),
  /**
   * Repository contexts: model calls each branch may spend exploring the repository with its tools
   * (list_files, read_file, search), on top of its rewrites; default 30. Ignored for other contexts.
   */
  maxExplorationSteps: z.number().int().min(1).max(500).optional().describe('an integer from 1 to 500'),
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
  /** Only ids whose part after `prefix` contains this text, ignoring ASCII case. */
  contains: z.string().max(128).optional().describe('text of at most 128 characters'),
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
const budgetOptions = new Set(['parallel', 'maxRewrites', 'effort', 'verbosity', 'maxOutputTokens', 'thinkingBudget', 'maxMemoryCharacters', 'maxExplorationSteps']);

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
