/** The rows, rejections and cache records of Multi-Query GSM-Symbolic. */
import { z } from 'zod';

/** Why a generated question was not kept. */
export const rejectionReasons = [
  /** The response was not the JSON asked for, or one question lacked a field or a `#### N` answer. */
  'malformed',
  /** Same text (ignoring case, spacing and punctuation) as the original question or a kept one. */
  'duplicate',
  /** The expression did not parse, used a name that is not a variable or an allowed function, or raised. */
  'expression_error',
  /** The expression evaluated to something other than a finite number (a list, a string, a boolean, NaN...). */
  'not_finite',
  /** The expression reads a variable whose value appears neither in the context nor in the new question. */
  'unstated_variable',
  /** The expression's value and the model's `#### N` differ beyond the grader's tolerance. */
  'answers_disagree',
] as const;

export type RejectionReason = (typeof rejectionReasons)[number];

export const multiQueryRowSchema = z.object({
  /** `<instance id>/q0` for the original question, `<instance id>/q1`... for the generated ones. */
  id: z.string(),
  /** The GSM-Symbolic instance id: every row of one context shares it. */
  contextId: z.string(),
  template: z.string(),
  context: z.string(),
  query: z.string(),
  /** Generated rows: the value of `expression`; the original row: the instance's answer. */
  answer: z.number(),
  /** Python-like expression over the instance's bindings; null on the original row. */
  expression: z.string().nullable(),
  /** The number after the model's `####`; null on the original row. */
  modelAnswer: z.number().nullable(),
  /** The model's worked solution ending in `#### N`; null on the original row. */
  modelSolution: z.string().nullable(),
  original: z.boolean(),
});

export type MultiQueryRow = z.infer<typeof multiQueryRowSchema>;

export const multiQueryRejectionSchema = z.object({
  contextId: z.string(),
  /** 1-based model call for this context the question came from. */
  attempt: z.number().int(),
  reason: z.enum(rejectionReasons),
  /** A short human-readable explanation (the Python error, the two numbers...). */
  detail: z.string(),
  question: z.string().optional(),
  expression: z.string().optional(),
  modelAnswer: z.number().optional(),
  evaluatedAnswer: z.number().optional(),
});

export type MultiQueryRejection = z.infer<typeof multiQueryRejectionSchema>;

/** One line of the cache file: everything about one context, written once it is done. */
export const multiQueryCacheRecordSchema = z.object({
  version: z.literal(1),
  contextId: z.string(),
  /** The settings the record was made with; a rerun with other settings must not reuse it. */
  seed: z.number(),
  model: z.string(),
  questionsPerContext: z.number().int(),
  /** Model calls made for this context (more than one when responses were malformed). */
  modelCalls: z.number().int(),
  rows: z.array(multiQueryRowSchema),
  rejections: z.array(multiQueryRejectionSchema),
});

export type MultiQueryCacheRecord = z.infer<typeof multiQueryCacheRecordSchema>;
