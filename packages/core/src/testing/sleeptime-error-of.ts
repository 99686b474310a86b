import { SleeptimeError } from '../errors.js';

/** Awaits a promise that must reject with a SleeptimeError and returns that error, for assertions. */
export async function sleeptimeErrorOf(promise: PromiseLike<unknown>): Promise<SleeptimeError> {
  try {
    await promise;
  } catch (error) {
    if (SleeptimeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

/** Runs a function that must throw a SleeptimeError and returns that error, for assertions. */
export function sleeptimeErrorThrownBy(action: () => unknown): SleeptimeError {
  try {
    action();
  } catch (error) {
    if (SleeptimeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a SleeptimeError');
}
