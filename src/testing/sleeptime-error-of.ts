import { SleeptimeError } from '../errors.js';

/** Awaits a promise that must reject with a SleeptimeError and returns that error, for assertions. */
export async function sleeptimeErrorOf(promise: Promise<unknown>): Promise<SleeptimeError> {
  try {
    await promise;
  } catch (error) {
    if (SleeptimeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}
