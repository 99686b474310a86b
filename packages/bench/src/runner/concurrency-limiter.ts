/**
 * A bound on model calls in flight, so a benchmark honours the provider's rate limits however many
 * cells and sleep branches run at once. (Retries of 429s with backoff happen in the model layer.)
 */
import type { LanguageModelV3, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';

export interface ConcurrencyLimiter {
  readonly limit: number;
  /** Calls running now. */
  readonly active: number;
  /** Waits for a free slot (or rejects when `signal` aborts) and returns its release function. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  run<T>(task: () => PromiseLike<T>, signal?: AbortSignal): Promise<T>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export function createConcurrencyLimiter(limit: number): ConcurrencyLimiter {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  let active = 0;
  const waiting: (() => void)[] = [];

  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next === undefined) active -= 1;
      else next();
    };
  };

  const acquire = (signal?: AbortSignal): Promise<() => void> => {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (active < limit) {
      active += 1;
      return Promise.resolve(releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(releaser());
      };
      const onAbort = () => {
        const index = waiting.indexOf(grant);
        if (index !== -1) waiting.splice(index, 1);
        reject(abortReason(signal as AbortSignal));
      };
      waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  return {
    limit,
    get active() {
      return active;
    },
    acquire,
    async run(task, signal) {
      const release = await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

/** The model with every call (a stream until it ends) holding one of the limiter's slots. */
export function withConcurrencyLimit(model: LanguageModelV3, limiter: ConcurrencyLimiter): LanguageModelV3 {
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      wrapGenerate: ({ doGenerate, params }) => limiter.run(doGenerate, params.abortSignal),
      wrapStream: async ({ doStream, params }) => {
        const release = await limiter.acquire(params.abortSignal);
        try {
          const result = await doStream();
          const reader = result.stream.getReader();
          // The slot is held until the stream ends, fails or is cancelled.
          const stream = new ReadableStream<LanguageModelV3StreamPart>({
            async pull(controller) {
              try {
                const next = await reader.read();
                if (next.done) {
                  release();
                  controller.close();
                } else {
                  controller.enqueue(next.value);
                }
              } catch (error) {
                release();
                controller.error(error);
              }
            },
            cancel(reason) {
              release();
              return reader.cancel(reason);
            },
          });
          return { ...result, stream };
        } catch (error) {
          release();
          throw error;
        }
      },
    },
  });
}
