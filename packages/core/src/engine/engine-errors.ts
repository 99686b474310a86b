/** How the engine tags failures: the caller's cancellation, the store's faults and the model's. */
import { SleeptimeError, errorMessage, systemError, upstreamError } from '../errors.js';

/**
 * The caller's cancellation. A caller that aborts with a SleeptimeError as the reason (a job that
 * timed out) says why it stopped the run: that error is the run's, rather than a generic `aborted`.
 */
export function abortedError(what: string, cause: unknown): SleeptimeError {
  if (SleeptimeError.isInstance(cause)) return cause;
  return new SleeptimeError({ code: 'aborted', category: 'user', message: `The ${what} was cancelled`, cause });
}

/** Store failures are this machine's problem: tag them before they mix with model errors. */
export async function storeCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (SleeptimeError.isInstance(error)) throw error;
    throw systemError('store_failed', `Store failed to ${action}: ${errorMessage(error)}`, error);
  }
}

/** A model call's failure: the caller's cancellation if it cancelled, else an upstream error with `code`. */
export function modelFailure(error: unknown, code: string, what: string, signal: AbortSignal | undefined): SleeptimeError {
  if (signal?.aborted === true && SleeptimeError.isInstance(signal.reason)) return signal.reason;
  if (SleeptimeError.isInstance(error)) return error;
  if (signal?.aborted === true) return abortedError(what, error);
  return upstreamError(code, `The ${what} failed: ${errorMessage(error)}`, { cause: error });
}
