/**
 * What went wrong in a model call, and how it reads for the user: sorts an error into a
 * {@link FailureKind} (HTTP status, connection failure, attempt timeout, malformed tool call...) and
 * turns that into the `SleeptimeError` callers see. Which kinds are retried is described in retry.ts.
 */
import { APICallError } from '@ai-sdk/provider';
import type { LanguageModelV3GenerateResult, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { errorMessage, upstreamError } from '../errors.js';
import type { SleeptimeError } from '../errors.js';
import type { ProviderKind } from './types.js';

/** What the errors name: the model spec, and the variable the key came from (for 401/403). */
export interface RetryTarget {
  provider: ProviderKind;
  spec: string;
  apiKeyVariable?: string;
}

export type FailureKind =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection_failed'
  | 'malformed_tool_call'
  | 'request_rejected'
  | 'invalid_response';

export interface Failure {
  kind: FailureKind;
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
  /** Short, one-line description of what the provider said or what broke. */
  detail: string;
  cause: unknown;
}

/** Thrown inside an attempt when its timer fires. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/** Thrown inside an attempt when a returned tool call's input is not JSON. */
export class MalformedToolCallError extends Error {
  constructor(readonly toolName: string, readonly input: string) {
    super(`tool call ${JSON.stringify(toolName)} has arguments that are not valid JSON: ${oneLine(input, 80)}`);
    this.name = 'MalformedToolCallError';
  }
}

/** Throws a {@link MalformedToolCallError} when `part` is a tool call to run here whose input is not JSON. */
export function assertToolCallParses(part: LanguageModelV3StreamPart | LanguageModelV3GenerateResult['content'][number]): void {
  if (part.type !== 'tool-call' || part.providerExecuted === true) return;
  // An empty input means "no arguments"; the AI SDK reads it as {}.
  if (part.input.trim() === '') return;
  try {
    JSON.parse(part.input);
  } catch {
    throw new MalformedToolCallError(part.toolName, part.input);
  }
}

/** Milliseconds the server asked us to wait (`retry-after-ms`, or `Retry-After` as seconds or a date). */
export function retryAfterMs(headers: Record<string, string | undefined> | undefined, now = Date.now()): number | undefined {
  if (headers === undefined) return undefined;
  const lookup = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]?.trim();

  const milliseconds = lookup('retry-after-ms');
  if (milliseconds !== undefined && milliseconds !== '' && Number.isFinite(Number(milliseconds)) && Number(milliseconds) >= 0) {
    return Number(milliseconds);
  }
  const retryAfter = lookup('retry-after');
  if (retryAfter === undefined || retryAfter === '') return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const CONNECTION_ERROR_MESSAGES = /fetch failed|failed to fetch|socket hang up|terminated|other side closed|cannot connect to api/i;
// AI SDK errors meaning "the body did not parse or did not match the expected schema".
const INVALID_RESPONSE_ERROR_NAMES = new Set([
  'AI_TypeValidationError',
  'AI_JSONParseError',
  'AI_InvalidResponseDataError',
  'AI_EmptyResponseBodyError',
]);

function oneLine(text: string, maxLength = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && !chain.includes(current) && chain.length < 10) {
    chain.push(current);
    current = typeof current === 'object' && 'cause' in current ? (current as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

function connectionErrorCode(error: unknown): string | undefined {
  return connectionErrorLink(error)?.code;
}

function connectionErrorLink(error: unknown): { code: string; message: string } | undefined {
  for (const link of errorChain(error)) {
    const code = typeof link === 'object' && link !== null && 'code' in link ? (link as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) {
      return { code, message: link instanceof Error ? link.message : '' };
    }
  }
  return undefined;
}

/** "connect ECONNREFUSED 127.0.0.1:9", "other side closed (UND_ERR_SOCKET)", else the error's own message. */
function connectionDetail(error: unknown): string {
  const link = connectionErrorLink(error);
  if (link === undefined) return oneLine(errorMessage(error));
  if (link.message === '') return link.code;
  return oneLine(link.message.includes(link.code) ? link.message : `${link.message} (${link.code})`);
}

function looksLikeConnectionFailure(error: unknown): boolean {
  return errorChain(error).some((link) => link instanceof Error && CONNECTION_ERROR_MESSAGES.test(link.message));
}

function providerMessage(error: APICallError): string {
  // OpenAI-style bodies: {"error": {"message": "..."}}; Anthropic: {"error": {"type", "message"}}.
  const data = error.data as { error?: { message?: unknown } } | undefined;
  const fromData = typeof data?.error?.message === 'string' ? data.error.message : undefined;
  return oneLine(fromData ?? error.message);
}

/** Classifies an error thrown by a model call; undefined when it is not a provider fault we know. */
export function classifyFailure(error: unknown): Failure | undefined {
  if (error instanceof AttemptTimeoutError) {
    return { kind: 'timeout', retryable: true, detail: error.message, cause: error };
  }
  if (error instanceof MalformedToolCallError) {
    return { kind: 'malformed_tool_call', retryable: true, detail: error.message, cause: error };
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === undefined) {
      return { kind: 'connection_failed', retryable: true, detail: connectionDetail(error), cause: error };
    }
    const detail = providerMessage(error);
    const retryAfter = retryAfterMs(error.responseHeaders);
    const withRetryAfter = retryAfter === undefined ? {} : { retryAfterMs: retryAfter };
    if (status === 429) return { kind: 'rate_limited', retryable: true, status, detail, cause: error, ...withRetryAfter };
    if (status === 408) return { kind: 'timeout', retryable: true, status, detail, cause: error, ...withRetryAfter };
    if (status >= 500) return { kind: 'server_error', retryable: true, status, detail, cause: error, ...withRetryAfter };
    if (status >= 400) return { kind: 'request_rejected', retryable: false, status, detail, cause: error };
    // A 2xx whose body could not be read.
    return { kind: 'invalid_response', retryable: false, status, detail, cause: error };
  }
  if (error instanceof Error && INVALID_RESPONSE_ERROR_NAMES.has(error.name)) {
    return { kind: 'invalid_response', retryable: false, detail: oneLine(error.message), cause: error };
  }
  const code = connectionErrorCode(error);
  if (code !== undefined || looksLikeConnectionFailure(error)) {
    return { kind: 'connection_failed', retryable: true, detail: connectionDetail(error), cause: error };
  }
  return undefined;
}

export interface FailureContext {
  target: RetryTarget;
  attempts: number;
  /** Set when the failure came after a stream had started: never retried. */
  afterStreamStart?: boolean;
  /** Set when a Retry-After longer than allowed made us give up. */
  retryAfterTooLongMs?: number;
  maxRetryAfterMs?: number;
}

/** "(HTTP 500) on all 4 attempts", "(HTTP 400, not retried)", "after the stream had started (not retried)"... */
function circumstances(failure: Failure, context: FailureContext): string {
  const notes = failure.status === undefined ? [] : [`HTTP ${failure.status}`];
  let when: string;
  if (context.afterStreamStart) {
    when = 'after the stream had started (not retried)';
  } else if (context.retryAfterTooLongMs !== undefined) {
    const asked = Math.ceil(context.retryAfterTooLongMs / 1000);
    const allowed = Math.ceil((context.maxRetryAfterMs ?? 0) / 1000);
    when = `and was asked to wait ${asked} s, longer than the ${allowed} s allowed; gave up after ${context.attempts} attempt(s)`;
  } else if (!failure.retryable) {
    notes.push('not retried');
    when = '';
  } else {
    when = context.attempts === 1 ? 'on the only attempt' : `on all ${context.attempts} attempts`;
  }
  return [notes.length === 0 ? '' : `(${notes.join(', ')})`, when].filter((part) => part !== '').join(' ');
}

/** Turns a classified failure into the error callers see. */
export function failureToError(failure: Failure, context: FailureContext): SleeptimeError {
  const { spec } = context.target;
  const attempts = circumstances(failure, context);
  let message: string;
  switch (failure.kind) {
    case 'rate_limited':
      message = `${spec} was rate limited ${attempts}: ${failure.detail}`;
      break;
    case 'server_error':
      message = `${spec} failed with a server error ${attempts}: ${failure.detail}`;
      break;
    case 'timeout':
      message = `${spec} timed out ${attempts}: ${failure.detail}`;
      break;
    case 'connection_failed':
      message = `could not reach ${spec} ${attempts}: ${failure.detail}`;
      break;
    case 'malformed_tool_call':
      message = `${spec} returned a malformed tool call ${attempts}: ${failure.detail}`;
      break;
    case 'request_rejected': {
      const keyRefused = failure.status === 401 || failure.status === 403;
      const keyHint = context.target.apiKeyVariable === undefined ? '' : `; check ${context.target.apiKeyVariable}`;
      message = keyRefused
        ? `${spec} refused the API key ${attempts}: ${failure.detail}${keyHint}`
        : `${spec} rejected the request ${attempts}: ${failure.detail}`;
      break;
    }
    case 'invalid_response':
      message = `${spec} sent a response that could not be read ${attempts}: ${failure.detail}`;
      break;
  }
  const details: Record<string, unknown> = {
    provider: context.target.provider,
    model: spec,
    attempts: context.attempts,
    status: failure.status ?? null,
  };
  if (failure.retryAfterMs !== undefined) details.retryAfterMs = failure.retryAfterMs;
  if (context.afterStreamStart) details.afterStreamStart = true;
  return upstreamError(`upstream_${failure.kind}`, oneLine(message, 400), { cause: failure.cause, details });
}
