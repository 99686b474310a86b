import { z } from 'zod';
import { userError } from '@sleeptime/core';

/** Options every command accepts; each falls back to its environment variable. */
export interface GlobalOptions {
  model?: string;
  baseUrl?: string;
  dataDir?: string;
  databaseUrl?: string;
  /** Seconds; createModel reads SLEEPTIME_LLAMA_TIME_LIMIT when it is not given. */
  llamaTimeLimit?: string;
  /** createModel reads SLEEPTIME_LLAMA_THREADS when it is not given. */
  llamaThreads?: string;
  json?: boolean;
}

/** What the global options say about making a model (createModel options), checked before anything starts. */
export function modelOptionsFrom(options: GlobalOptions): { llamaCallTimeLimitMs?: number; llamaThreads?: number } {
  const result: { llamaCallTimeLimitMs?: number; llamaThreads?: number } = {};
  if (options.llamaTimeLimit !== undefined) {
    const seconds = parseFlag(
      z.string().regex(/^\d+(\.\d+)?$/).transform(Number),
      options.llamaTimeLimit,
      '--llama-time-limit',
      'a number of seconds, 0 for none',
    );
    result.llamaCallTimeLimitMs = Math.round(seconds * 1000);
  }
  if (options.llamaThreads !== undefined) {
    result.llamaThreads = parseFlag(z.string().regex(/^[1-9]\d{0,3}$/).transform(Number), options.llamaThreads, '--llama-threads', 'a positive integer');
  }
  return result;
}

/** Parses a flag value with a zod schema, turning a failure into one user-facing line. */
export function parseFlag<T>(schema: z.ZodType<T>, value: unknown, flag: string, expected: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw userError('invalid_option', `${flag} must be ${expected} (got ${JSON.stringify(value)})`, { flag });
  }
  return result.data;
}

export const integerText = z
  .string()
  .regex(/^-?\d+$/)
  .transform(Number);

export function integerFlag(value: string | undefined, flag: string, minimum: number, maximum: number): number | undefined {
  if (value === undefined) return undefined;
  return parseFlag(
    integerText.pipe(z.number().int().min(minimum).max(maximum)),
    value,
    flag,
    `an integer from ${minimum} to ${maximum}`,
  );
}

export const effortSchema = z.enum(['low', 'medium', 'high']);

export function effortFlag(value: string | undefined, flag = '--effort'): 'low' | 'medium' | 'high' | undefined {
  if (value === undefined) return undefined;
  return parseFlag(effortSchema, value, flag, 'one of low, medium, high');
}
