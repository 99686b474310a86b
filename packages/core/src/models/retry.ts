/**
 * Bounded retries for any AI SDK language model.
 *
 * Policy (see {@link withRetries}):
 * - Retried: HTTP 429, 408, 5xx; attempt timeouts; connection failures (reset, refused, "fetch
 *   failed"); a returned tool call whose `input` is not valid JSON.
 * - Not retried: other 4xx (the request itself is wrong), responses that cannot be read, errors the
 *   provider already typed as `SleeptimeError`, and anything this module does not recognise.
 * - Delay before attempt n+1: the server's `Retry-After`/`retry-after-ms` when given (up to
 *   `maxRetryAfterMs`; a longer wait gives up at once), else full jitter:
 *   `random() * min(maxDelayMs, initialDelayMs * 2^(n-1))`.
 * - At most `maxAttempts` calls; then a `SleeptimeError` with category `upstream` and a stable code.
 * - Streams are retried only while nothing but preamble (`stream-start`, `response-metadata`, `raw`)
 *   has arrived; once content flows, a failure ends the stream with a typed error.
 * - The caller's abort signal stops at once, also during the wait between attempts.
 *
 * Callers must turn the AI SDK's own retries off (`maxRetries: 0`) or the two multiply.
 */
import { APICallError } from '@ai-sdk/provider';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import { z } from 'zod';
import { SleeptimeError, upstreamError, userError } from '../errors.js';
import type { ProviderKind } from './types.js';

export interface RetryEvent {
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  /** What the failure would be reported as if no attempts were left. */
  error: SleeptimeError;
}

export interface RetryOptions {
  /** Total calls, the first one included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Per attempt: until the response (or first stream chunk) arrives, then between chunks. 0 = none. */
  timeoutMs: number;
  /** The longest server-requested wait (Retry-After) to honour; a longer one gives up at once. */
  maxRetryAfterMs: number;
  /** Returns a number in [0, 1). Injectable for tests. */
  random: () => number;
  /** Waits `ms`, rejecting with the signal's reason when it aborts. Injectable for tests. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (event: RetryEvent) => void;
}

/** What the errors name: the model spec, and the variable the key came from (for 401/403). */
export interface RetryTarget {
  provider: ProviderKind;
  spec: string;
  apiKeyVariable?: string;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 4,
  initialDelayMs: 500,
  maxDelayMs: 8000,
  timeoutMs: 120_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
  sleep: abortableSleep,
});

const nonNegativeMilliseconds = z.number().finite().nonnegative();
const retryNumbersSchema = z.object({
  // Capped so a typo cannot turn into a practically endless loop.
  maxAttempts: z.number().int().min(1).max(20),
  initialDelayMs: nonNegativeMilliseconds,
  maxDelayMs: nonNegativeMilliseconds,
  timeoutMs: nonNegativeMilliseconds,
  maxRetryAfterMs: nonNegativeMilliseconds,
});

export function resolveRetryOptions(options: Partial<RetryOptions> = {}): RetryOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const merged: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...defined };
  const parsed = retryNumbersSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw userError('invalid_retry_options', `invalid retry options: ${problems}`);
  }
  return merged;
}

/** Full-jitter exponential backoff before attempt `failedAttempt + 1`. */
export function backoffDelayMs(failedAttempt: number, options: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (failedAttempt - 1));
  return Math.floor(options.random() * ceiling);
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

// ---------------------------------------------------------------------------------------------
// Failure classification

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
class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/** Thrown inside an attempt when a returned tool call's input is not JSON. */
class MalformedToolCallError extends Error {
  constructor(readonly toolName: string, readonly input: string) {
    super(`tool call ${JSON.stringify(toolName)} has arguments that are not valid JSON: ${oneLine(input, 80)}`);
    this.name = 'MalformedToolCallError';
  }
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
  if (link === undefined) return oneLine(error instanceof Error ? error.message : String(error));
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

interface FailureContext {
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

// ---------------------------------------------------------------------------------------------
// One attempt: its own abort controller, fed by the caller's signal and by the attempt timer.

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

class AttemptScope {
  readonly controller = new AbortController();
  private interruption: unknown;
  private interrupted = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiters = new Set<(reason: unknown) => void>();
  private readonly onCallerAbort = () => this.interrupt(abortReason(this.callerSignal));

  constructor(
    private readonly callerSignal: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {
    if (callerSignal?.aborted) this.onCallerAbort();
    else callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private interrupt(reason: unknown): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.interruption = reason;
    this.disarm();
    this.controller.abort(reason);
    for (const waiter of this.waiters) waiter(reason);
  }

  /** Starts (or restarts) the attempt timer. */
  arm(): void {
    this.disarm();
    if (this.timeoutMs > 0) {
      this.timer = setTimeout(() => this.interrupt(new AttemptTimeoutError(this.timeoutMs)), this.timeoutMs);
    }
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Settles with the promise, or rejects as soon as the attempt times out or the caller aborts. */
  race<T>(promise: PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.interrupted) {
        reject(this.interruption);
        return;
      }
      this.waiters.add(reject);
      Promise.resolve(promise)
        .then(resolve, reject)
        .finally(() => this.waiters.delete(reject));
    });
  }

  dispose(): void {
    this.disarm();
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}

function assertToolCallParses(part: LanguageModelV3StreamPart | LanguageModelV3GenerateResult['content'][number]): void {
  if (part.type !== 'tool-call' || part.providerExecuted === true) return;
  // An empty input means "no arguments"; the AI SDK reads it as {}.
  if (part.input.trim() === '') return;
  try {
    JSON.parse(part.input);
  } catch {
    throw new MalformedToolCallError(part.toolName, part.input);
  }
}

// Parts that carry no model output: a stream that fails after only these can still be retried.
const PREAMBLE_PART_TYPES = new Set<LanguageModelV3StreamPart['type']>(['stream-start', 'response-metadata', 'raw']);

// ---------------------------------------------------------------------------------------------

class RetryingLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;

  constructor(
    private readonly inner: LanguageModelV3,
    private readonly target: RetryTarget,
    private readonly options: RetryOptions,
  ) {}

  get provider(): string {
    return this.inner.provider;
  }

  get modelId(): string {
    return this.inner.modelId;
  }

  get supportedUrls(): LanguageModelV3['supportedUrls'] {
    return this.inner.supportedUrls;
  }

  async doGenerate(callOptions: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    return this.withAttempts(callOptions.abortSignal, async (scope) => {
      scope.arm();
      try {
        const result = await scope.race(this.inner.doGenerate({ ...callOptions, abortSignal: scope.signal }));
        for (const part of result.content) assertToolCallParses(part);
        return result;
      } finally {
        scope.dispose();
      }
    });
  }

  async doStream(callOptions: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    return this.withAttempts(callOptions.abortSignal, async (scope, attempt) => {
      scope.arm();
      let reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart> | undefined;
      try {
        const result = await scope.race(this.inner.doStream({ ...callOptions, abortSignal: scope.signal }));
        reader = result.stream.getReader();
        // Read up to the first part with content; failures until then are retried.
        const head: LanguageModelV3StreamPart[] = [];
        let ended = false;
        for (;;) {
          const next = await scope.race(reader.read());
          if (next.done) {
            ended = true;
            break;
          }
          if (next.value.type === 'error') throw next.value.error;
          assertToolCallParses(next.value);
          head.push(next.value);
          if (!PREAMBLE_PART_TYPES.has(next.value.type)) break;
        }
        scope.disarm();
        return { ...result, stream: this.continueStream(head, reader, ended, scope, callOptions.abortSignal, attempt) };
      } catch (error) {
        reader?.cancel().catch(() => {});
        scope.dispose();
        throw error;
      }
    });
  }

  /** The committed stream: head parts, then the rest with an idle timeout between chunks. */
  private continueStream(
    head: LanguageModelV3StreamPart[],
    reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart>,
    ended: boolean,
    scope: AttemptScope,
    callerSignal: AbortSignal | undefined,
    attempt: number,
  ): ReadableStream<LanguageModelV3StreamPart> {
    return new ReadableStream<LanguageModelV3StreamPart>({
      start: (controller) => {
        for (const part of head) controller.enqueue(part);
        if (ended) {
          scope.dispose();
          controller.close();
        }
      },
      pull: async (controller) => {
        scope.arm();
        try {
          const next = await scope.race(reader.read());
          scope.disarm();
          if (next.done) {
            scope.dispose();
            controller.close();
          } else {
            controller.enqueue(next.value);
          }
        } catch (error) {
          scope.dispose();
          reader.cancel().catch(() => {});
          if (callerSignal?.aborted) {
            controller.error(abortReason(callerSignal));
            return;
          }
          const failure = classifyFailure(error);
          controller.error(
            failure === undefined
              ? error
              : failureToError(failure, {
                  target: this.target,
                  attempts: attempt,
                  afterStreamStart: true,
                }),
          );
        }
      },
      cancel: async (reason) => {
        scope.dispose();
        await reader.cancel(reason).catch(() => {});
      },
    });
  }

  private async withAttempts<T>(
    callerSignal: AbortSignal | undefined,
    runAttempt: (scope: AttemptScope, attempt: number) => Promise<T>,
  ): Promise<T> {
    const { maxAttempts, maxRetryAfterMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      if (callerSignal?.aborted) throw abortReason(callerSignal);
      try {
        return await runAttempt(new AttemptScope(callerSignal, this.options.timeoutMs), attempt);
      } catch (error) {
        if (callerSignal?.aborted) throw abortReason(callerSignal);
        // Errors the provider already typed (e.g. the llama provider's) are final.
        if (SleeptimeError.isInstance(error)) throw error;
        const failure = classifyFailure(error);
        if (failure === undefined) throw error;
        const context: FailureContext = { target: this.target, attempts: attempt };
        if (!failure.retryable || attempt >= maxAttempts) throw failureToError(failure, context);
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > maxRetryAfterMs) {
          throw failureToError(failure, { ...context, retryAfterTooLongMs: failure.retryAfterMs, maxRetryAfterMs });
        }
        const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt, this.options);
        this.options.onRetry?.({ attempt, delayMs, error: failureToError(failure, context) });
        await this.options.sleep(delayMs, callerSignal);
      }
    }
  }
}

/** Wraps a language model with the retry policy described at the top of this file. */
export function withRetries(model: LanguageModelV3, target: RetryTarget, options: Partial<RetryOptions> = {}): LanguageModelV3 {
  return new RetryingLanguageModel(model, target, resolveRetryOptions(options));
}
