import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Default 25 ms. */
  intervalMs?: number;
  /** Added to the timeout error, e.g. a child process's output or the last state seen. */
  details?: () => string;
}

/**
 * Polls `probe` until it returns something other than undefined, and returns that: for tests that
 * wait on background work (a job, a child process, a server). Fails after the timeout naming `what`.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: WaitForOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const details = options.details?.() ?? '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${details === '' ? '' : `\n${details}`}`);
    }
    await sleep(options.intervalMs ?? 25);
  }
}
