/**
 * A provider-neutral report of how an ask's prompt prefix was served, carried in the AI SDK's
 * `providerMetadata` under its own key so the engine can record it without knowing the provider.
 */
import type { SharedV3ProviderMetadata } from '@ai-sdk/provider';

export const PREFIX_CACHE_METADATA_KEY = 'sleeptime';

export interface PrefixCacheReport {
  /** The prompt prefix came from a precomputed or kept state instead of being read again. */
  prefixCacheHit: boolean;
  /** From the start of the call to the first sampled token, in milliseconds. */
  timeToFirstTokenMs: number | null;
  /** Prompt tokens that were not evaluated because their state was reused. */
  cachedPromptTokens: number;
}

export function prefixCacheProviderMetadata(report: PrefixCacheReport): SharedV3ProviderMetadata {
  return { [PREFIX_CACHE_METADATA_KEY]: { ...report } };
}

export function readPrefixCacheReport(providerMetadata: unknown): PrefixCacheReport | undefined {
  const entry = (providerMetadata as Record<string, unknown> | undefined)?.[PREFIX_CACHE_METADATA_KEY] as Record<string, unknown> | undefined;
  if (entry === undefined || typeof entry.prefixCacheHit !== 'boolean') return undefined;
  const timeToFirstTokenMs = typeof entry.timeToFirstTokenMs === 'number' ? entry.timeToFirstTokenMs : null;
  const cachedPromptTokens = typeof entry.cachedPromptTokens === 'number' ? entry.cachedPromptTokens : 0;
  return { prefixCacheHit: entry.prefixCacheHit, timeToFirstTokenMs, cachedPromptTokens };
}
