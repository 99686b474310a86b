/**
 * What an ask does when the context's learned context is stale (made from an older version):
 * serve it flagged `fresh: false` (default), wait up to a bound for a fresh one, or answer
 * without it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LearnedContextRecord, Store } from '../store/types.js';

export type StaleAskPolicy = { mode: 'serve-stale' } | { mode: 'wait'; waitMs: number } | { mode: 'without' };

export const defaultStaleAskPolicy: StaleAskPolicy = { mode: 'serve-stale' };

/**
 * Polls until the latest learned context was made from the context's current version, or `waitMs`
 * has passed. Returns whether it is fresh at the end (false also when there is none).
 */
export async function waitForFreshLearned(
  store: Store,
  contextId: string,
  options: { waitMs: number; pollIntervalMs?: number; signal?: AbortSignal },
): Promise<boolean> {
  const deadline = Date.now() + options.waitMs;
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  for (;;) {
    if (await isFresh(store, contextId)) return true;
    const remaining = deadline - Date.now();
    if (remaining <= 0 || options.signal?.aborted === true) return false;
    await sleep(Math.min(pollIntervalMs, remaining));
  }
}

/** Whether the context has a learned context made from its current version. */
export async function isFresh(store: Store, contextId: string): Promise<boolean> {
  const [context, learned] = await Promise.all([store.contexts.get(contextId), store.learned.latest(contextId)]);
  return context !== undefined && learned !== undefined && learned.sourceVersion === context.version;
}

export function isStale(learned: LearnedContextRecord | undefined, contextVersion: number): boolean {
  return learned !== undefined && learned.sourceVersion !== contextVersion;
}

/** Parses the serve flag / option form: `serve-stale`, `without`, or `wait:<ms>`. */
export function parseStaleAskPolicy(text: string): StaleAskPolicy | undefined {
  if (text === 'serve-stale' || text === 'without') return { mode: text };
  const match = /^wait:(\d{1,7})$/.exec(text);
  return match?.[1] === undefined ? undefined : { mode: 'wait', waitMs: Number(match[1]) };
}
