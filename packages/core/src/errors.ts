/**
 * One error type for the whole project. Every failure a user can see carries a stable `code`
 * (for machines and docs) and a `category` that says whose move it is:
 * - `user`: the input was wrong (unknown context, empty text, bad model spec, budget out of range);
 * - `upstream`: the model provider failed (rate limits, 5xx, timeouts, malformed tool calls);
 * - `system`: something on this machine failed (store, file system, a bug).
 */
export type ErrorCategory = 'user' | 'system' | 'upstream';

const marker = Symbol.for('sleeptime.error');

export interface SleeptimeErrorOptions {
  code: string;
  category: ErrorCategory;
  message: string;
  cause?: unknown;
  /** Extra facts for machines (status code, attempts, field name...). Never secrets. */
  details?: Record<string, unknown>;
}

export class SleeptimeError extends Error {
  private readonly [marker] = true;
  readonly code: string;
  readonly category: ErrorCategory;
  readonly details: Record<string, unknown>;

  constructor(options: SleeptimeErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SleeptimeError';
    this.code = options.code;
    this.category = options.category;
    this.details = options.details ?? {};
  }

  /** Works across copies of this module (e.g. two installs in one process), unlike `instanceof`. */
  static isInstance(error: unknown): error is SleeptimeError {
    return typeof error === 'object' && error !== null && marker in error;
  }

  toJSON(): { code: string; category: ErrorCategory; message: string; details: Record<string, unknown> } {
    return { code: this.code, category: this.category, message: this.message, details: this.details };
  }
}

export function userError(code: string, message: string, details?: Record<string, unknown>): SleeptimeError {
  return new SleeptimeError({ code, category: 'user', message, details });
}

export function systemError(code: string, message: string, cause?: unknown): SleeptimeError {
  return new SleeptimeError({ code, category: 'system', message, cause });
}

export function upstreamError(
  code: string,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): SleeptimeError {
  return new SleeptimeError({ code, category: 'upstream', message, ...options });
}

/** The message of an `Error`, or the value itself as a string (for anything else that was thrown). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
