/**
 * Applies the stale-ask policy (`src/jobs/stale-ask.ts`) before an ask reads a context's learned
 * context: the same for the native ask route and the OpenAI-compatible proxy.
 */
import { isStale, waitForFreshLearned, type StaleAskPolicy } from '../jobs/stale-ask.js';
import type { SleepTriggers } from '../jobs/sleep-triggers.js';
import type { Store } from '../store/types.js';

export interface ApplyStaleAskPolicyInput {
  store: Store;
  triggers: Pick<SleepTriggers, 'onDemand'>;
  /** The stored context id (tenant prefix included). */
  contextId: string;
  /** The context version the ask read. */
  contextVersion: number;
  policy: StaleAskPolicy;
  signal?: AbortSignal;
}

/**
 * `without` when the latest learned context is stale and the policy says to answer without it;
 * otherwise `use` (with `wait`, after a sleep job was made due now and a fresh learned context was
 * waited for, up to the bound: the caller then reads whatever learned context there is).
 */
export async function applyStaleAskPolicy(input: ApplyStaleAskPolicyInput): Promise<'use' | 'without'> {
  const { store, policy } = input;
  if (policy.mode === 'serve-stale') return 'use';
  if (!isStale(await store.learned.latest(input.contextId), input.contextVersion)) return 'use';
  if (policy.mode === 'without') return 'without';
  // Make sure a sleep is coming now rather than after the quiet period, then wait for it.
  await input.triggers.onDemand(input.contextId);
  await waitForFreshLearned(store, input.contextId, { waitMs: policy.waitMs, ...(input.signal === undefined ? {} : { signal: input.signal }) });
  return 'use';
}
