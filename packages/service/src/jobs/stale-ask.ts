/**
 * What an ask does when the context's learned context is stale (made from an older version):
 * serve it flagged `fresh: false` (default), wait up to a bound for a fresh one, or answer
 * without it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SleeptimeError, type Engine } from '@sleeptime/core';
import type { SleepTriggers } from './sleep-triggers.js';

export type StaleAskPolicy = { mode: 'serve-stale' } | { mode: 'wait'; waitMs: number } | { mode: 'without' };

export const defaultStaleAskPolicy: StaleAskPolicy = { mode: 'serve-stale' };

type LearnedReader = Pick<Engine, 'learnedContext'>;

/**
 * Polls until the latest learned context was made from the context's current version, or `waitMs`
 * has passed. Returns whether it is fresh at the end (false also when there is none).
 */
export async function waitForFreshLearned(
  engine: LearnedReader,
  contextId: string,
  options: { waitMs: number; pollIntervalMs?: number; signal?: AbortSignal },
): Promise<boolean> {
  const deadline = Date.now() + options.waitMs;
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  for (;;) {
    if (await isFresh(engine, contextId)) return true;
    const remaining = deadline - Date.now();
    if (remaining <= 0 || options.signal?.aborted === true) return false;
    await sleep(Math.min(pollIntervalMs, remaining));
  }
}

/** Whether the context has a learned context made from its current version (false when the context is gone). */
export async function isFresh(engine: LearnedReader, contextId: string): Promise<boolean> {
  const learned = await engine.learnedContext(contextId).catch((error: unknown) => {
    if (SleeptimeError.isInstance(error) && error.code === 'context_not_found') return undefined;
    throw error;
  });
  return learned?.fresh === true;
}

/** Parses the serve flag / option form: `serve-stale`, `without`, or `wait:<ms>`. */
export function parseStaleAskPolicy(text: string): StaleAskPolicy | undefined {
  if (text === 'serve-stale' || text === 'without') return { mode: text };
  const match = /^wait:(\d{1,7})$/.exec(text);
  return match?.[1] === undefined ? undefined : { mode: 'wait', waitMs: Number(match[1]) };
}

/** Applied before an ask reads a context's learned context: the same for the native ask route and the OpenAI-compatible proxy. */
export interface ApplyStaleAskPolicyInput {
  engine: LearnedReader;
  triggers: Pick<SleepTriggers, 'onDemand'>;
  /** The stored context id (tenant prefix included). */
  contextId: string;
  policy: StaleAskPolicy;
  signal?: AbortSignal;
}

/**
 * `without` when the latest learned context is stale and the policy says to answer without it;
 * otherwise `use` (with `wait`, after a sleep job was made due now and a fresh learned context was
 * waited for, up to the bound: the caller then reads whatever learned context there is).
 */
export async function applyStaleAskPolicy(input: ApplyStaleAskPolicyInput): Promise<'use' | 'without'> {
  const { engine, policy } = input;
  if (policy.mode === 'serve-stale') return 'use';
  const learned = await engine.learnedContext(input.contextId);
  if (learned === undefined || learned.fresh) return 'use';
  if (policy.mode === 'without') return 'without';
  // Make sure a sleep is coming now rather than after the quiet period, then wait for it.
  await input.triggers.onDemand(input.contextId);
  await waitForFreshLearned(engine, input.contextId, { waitMs: policy.waitMs, ...(input.signal === undefined ? {} : { signal: input.signal }) });
  return 'use';
}
