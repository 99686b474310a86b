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
 *
 * The policy is an AI SDK language model middleware ({@link retryMiddleware}); {@link withRetries}
 * applies it with `wrapLanguageModel`. Which errors are which kind, and the messages they end up
 * with, are in failure-classification.ts; the per-attempt abort signal and timer in attempt-scope.ts.
 */
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import { SleeptimeError } from '../errors.js';
import { AttemptScope, abortReason } from './attempt-scope.js';
import { assertToolCallParses, classifyFailure, failureToError } from './failure-classification.js';
import type { FailureContext, RetryTarget } from './failure-classification.js';

import { backoffDelayMs, resolveRetryOptions, type RetryOptions } from './retry-options.js';

// Part of withRetries' signature, so importable from here too.
export type { RetryTarget } from './failure-classification.js';
export { backoffDelayMs, resolveRetryOptions, type RetryEvent, type RetryOptions } from './retry-options.js';

/** Wraps a language model with the retry policy described at the top of this file. */
export function withRetries(model: LanguageModelV3, target: RetryTarget, options: Partial<RetryOptions> = {}): LanguageModelV3 {
  // wrapLanguageModel keeps the inner model's provider, modelId and supportedUrls.
  return wrapLanguageModel({ model, middleware: retryMiddleware(target, resolveRetryOptions(options)) });
}

// ---------------------------------------------------------------------------------------------
// The middleware

interface RetryPolicy {
  target: RetryTarget;
  options: RetryOptions;
}

/**
 * The retry policy as an AI SDK language model middleware. Each attempt calls the wrapped `model`
 * itself with the attempt's own abort signal: the `doGenerate`/`doStream` closures the AI SDK passes
 * in take no arguments and always send the caller's params (and signal) unchanged.
 */
export function retryMiddleware(target: RetryTarget, options: RetryOptions): LanguageModelV3Middleware {
  const policy: RetryPolicy = { target, options };
  return {
    specificationVersion: 'v3',
    wrapGenerate: ({ model, params }) =>
      withAttempts(policy, params.abortSignal, (scope) => generateAttempt(model, params, scope)),
    wrapStream: ({ model, params }) =>
      withAttempts(policy, params.abortSignal, (scope, attempt) => streamAttempt(policy, model, params, scope, attempt)),
  };
}

async function generateAttempt(
  model: LanguageModelV3,
  params: LanguageModelV3CallOptions,
  scope: AttemptScope,
): Promise<LanguageModelV3GenerateResult> {
  scope.arm();
  try {
    const result = await scope.race(model.doGenerate({ ...params, abortSignal: scope.signal }));
    for (const part of result.content) assertToolCallParses(part);
    return result;
  } finally {
    scope.dispose();
  }
}

// Parts that carry no model output: a stream that fails after only these can still be retried.
const PREAMBLE_PART_TYPES = new Set<LanguageModelV3StreamPart['type']>(['stream-start', 'response-metadata', 'raw']);

/** Opens a stream and reads up to its first part with content; failures until then are retried. */
async function streamAttempt(
  policy: RetryPolicy,
  model: LanguageModelV3,
  params: LanguageModelV3CallOptions,
  scope: AttemptScope,
  attempt: number,
): Promise<LanguageModelV3StreamResult> {
  scope.arm();
  let reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart> | undefined;
  try {
    const result = await scope.race(model.doStream({ ...params, abortSignal: scope.signal }));
    reader = result.stream.getReader();
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
    const failAfterStart = (error: unknown): unknown => {
      if (params.abortSignal?.aborted) return abortReason(params.abortSignal);
      const failure = classifyFailure(error);
      return failure === undefined ? error : failureToError(failure, { target: policy.target, attempts: attempt, afterStreamStart: true });
    };
    return { ...result, stream: continueStream(head, reader, ended, scope, failAfterStart) };
  } catch (error) {
    reader?.cancel().catch(() => {});
    scope.dispose();
    throw error;
  }
}

/** The committed stream: head parts, then the rest with an idle timeout between chunks. */
function continueStream(
  head: LanguageModelV3StreamPart[],
  reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart>,
  ended: boolean,
  scope: AttemptScope,
  /** What the stream errors with when a read fails: the caller's abort reason, or a typed failure. */
  failAfterStart: (error: unknown) => unknown,
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
        controller.error(failAfterStart(error));
      }
    },
    cancel: async (reason) => {
      scope.dispose();
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/** Runs attempts, each in a fresh scope, until one succeeds or the policy says stop. */
async function withAttempts<T>(
  { target, options }: RetryPolicy,
  callerSignal: AbortSignal | undefined,
  runAttempt: (scope: AttemptScope, attempt: number) => Promise<T>,
): Promise<T> {
  const { maxAttempts, maxRetryAfterMs } = options;
  for (let attempt = 1; ; attempt++) {
    if (callerSignal?.aborted) throw abortReason(callerSignal);
    try {
      return await runAttempt(new AttemptScope(callerSignal, options.timeoutMs), attempt);
    } catch (error) {
      if (callerSignal?.aborted) throw abortReason(callerSignal);
      // Errors the provider already typed (e.g. the llama provider's) are final.
      if (SleeptimeError.isInstance(error)) throw error;
      const failure = classifyFailure(error);
      if (failure === undefined) throw error;
      const context: FailureContext = { target, attempts: attempt };
      if (!failure.retryable || attempt >= maxAttempts) throw failureToError(failure, context);
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > maxRetryAfterMs) {
        throw failureToError(failure, { ...context, retryAfterTooLongMs: failure.retryAfterMs, maxRetryAfterMs });
      }
      const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt, options);
      options.onRetry?.({ attempt, delayMs, error: failureToError(failure, context) });
      await options.sleep(delayMs, callerSignal);
    }
  }
}
