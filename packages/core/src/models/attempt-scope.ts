/**
 * One attempt of a model call: its own abort controller, fed by the caller's signal and by the
 * attempt timer, so that a timed-out attempt is cancelled without cancelling the call as a whole.
 */
import { AttemptTimeoutError } from './failure-classification.js';

/** The signal's reason, or a DOMException `AbortError` when it has none. */
export function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Waits `ms`, rejecting with the signal's reason as soon as it aborts. */
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

/**
 * Aborts its {@link signal} when the caller's signal aborts or when the armed timer fires (with an
 * {@link AttemptTimeoutError}); {@link race} rejects at that moment even if the raced promise never
 * settles. Call {@link dispose} when the attempt is over, to stop listening to the caller's signal.
 */
export class AttemptScope {
  readonly controller = new AbortController();
  private interruption: unknown;
  private interrupted = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiters = new Set<(reason: unknown) => void>();
  private readonly onCallerAbort = () => this.interrupt(abortReason(this.callerSignal));

  constructor(
    private readonly callerSignal: AbortSignal | undefined,
    /** 0 = no timer. */
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
