import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SleeptimeError } from '@sleeptime/core';
import type { TenantScope } from '../tenancy/tenant-scope.js';
import { wireErrorMessage } from './wire-message.js';

/** The one error body of the HTTP API; `type` mirrors the code's class so OpenAI clients read it too. */
export interface ApiErrorBody {
  error: { code: string; message: string; type: string; details?: Record<string, unknown> };
}

/** An error the routes throw to answer with a given status and stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function typeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function errorBody(status: number, code: string, message: string, details?: Record<string, unknown>): ApiErrorBody {
  return { error: { code, message, type: typeFor(status), ...(details === undefined ? {} : { details }) } };
}

/**
 * User errors whose status is not 400 or 404. A write that would take a context past its size limit
 * is 413: the request is well formed and the client's remedy is to send less, as with `body_too_large`.
 * A write past the tenant's quota is 403: retrying will not help (429 would invite it) until the
 * tenant deletes contexts or its limit is raised, and the request itself may be small. A sleep past
 * the tenant's sleep-time tokens of the day is 429: the same request succeeds once the day is over,
 * and `Retry-After` says when (the limit is spent over time, like a request rate).
 */
const userErrorStatus: Readonly<Record<string, ContentfulStatusCode>> = {
  context_too_large: 413,
  tenant_context_limit: 403,
  tenant_storage_limit: 403,
  // A repository context naming a folder outside the server's --repositories-root (or a server without one).
  repository_not_allowed: 403,
  sleep_token_limit: 429,
};

/** User errors whose details reach the client (they name no stored id): the limit, the count and when it resets. */
const wireDetailCodes: ReadonlySet<string> = new Set(['sleep_token_limit']);

/** `Retry-After` for an error that says when trying again will succeed (`details.retryAfterSeconds`). */
function retryAfterOf(error: SleeptimeError): string | undefined {
  const seconds = error.details.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds > 0 ? String(seconds) : undefined;
}

/**
 * Maps any thrown value to a status and body. SleeptimeError categories: user errors are 404 when
 * something is missing, 413 for a context too large, 403 past a tenant quota, 429 past the tenant's
 * sleep-time tokens of the day (with `Retry-After`) and 400 otherwise; upstream (the model provider)
 * is 502; system is 500.
 * Stacks never leave the process; an unknown error's message neither (it may hold internals).
 * The engine names contexts by their stored ids: the tenant's prefix is taken out of its messages,
 * and an upstream or system failure's address too (see wire-message.ts).
 */
export function toErrorResponse(error: unknown, scope?: TenantScope): { status: ContentfulStatusCode; body: ApiErrorBody; retryAfter?: string } {
  if (error instanceof ApiError) return { status: error.status, body: errorBody(error.status, error.code, error.message, error.details) };
  if (SleeptimeError.isInstance(error)) {
    const status: ContentfulStatusCode =
      error.category === 'upstream' ? 502 : error.category === 'system' ? 500 : (userErrorStatus[error.code] ?? (error.code.endsWith('_not_found') ? 404 : 400));
    const details = error.category === 'user' && wireDetailCodes.has(error.code) ? error.details : undefined;
    const retryAfter = status === 429 ? retryAfterOf(error) : undefined;
    return { status, body: errorBody(status, error.code, wireErrorMessage(error, scope), details), ...(retryAfter === undefined ? {} : { retryAfter }) };
  }
  return { status: 500, body: errorBody(500, 'internal_error', 'An unexpected error occurred on the server') };
}

/** Where the detail of a 5xx goes (the upstream's address, a stack): the client gets only the code and a scrubbed message. */
export type ServerErrorLog = (line: string) => void;

const stderrLog: ServerErrorLog = (line) => process.stderr.write(line);

/** The whole story of a failure for the server log: message, causes, and the stack of an unexpected error. */
export function serverErrorDetail(error: unknown): string {
  if (!SleeptimeError.isInstance(error)) return error instanceof Error ? (error.stack ?? error.message) : String(error);
  const causes: string[] = [];
  for (let cause: unknown = error.cause; cause !== undefined && causes.length < 5; cause = (cause as { cause?: unknown }).cause) {
    causes.push(cause instanceof Error ? cause.message : String(cause));
    if (!(cause instanceof Error)) break;
  }
  return [error.message, ...causes.filter((cause) => !error.message.includes(cause))].join(' <- ');
}

export function respondWithError(context: Context, error: unknown, log: ServerErrorLog = stderrLog): Response {
  const { status, body, retryAfter } = toErrorResponse(error, context.get('scope') as TenantScope | undefined);
  if (retryAfter !== undefined) context.header('retry-after', retryAfter);
  if (status >= 500) log(`${context.req.method} ${context.req.path}: ${status} ${body.error.code}: ${serverErrorDetail(error)}\n`);
  return context.json(body, status);
}
