import os from 'node:os';
import path from 'node:path';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { z } from 'zod';
import { userError } from '../errors.js';
import { mapBudgetToCallSettings } from './budget-mapping.js';
import { parseModelSpec } from './model-spec.js';
import { DEFAULT_RETRY_OPTIONS, withRetries } from './retry.js';
import type { RetryOptions, RetryTarget } from './retry.js';
import type { ModelBudget, ProviderKind, SleeptimeModel } from './types.js';

export type Environment = Record<string, string | undefined>;

// Re-exported so callers find spec resolution beside createModel. This is the one static link to the
// llama module; it must stay light (no node-llama-cpp at import time).
export { DEFAULT_MODEL_SPEC, resolveModelSpec } from './default-model.js';

export interface CreateModelOptions {
  /** Overrides OPENAI_BASE_URL / ANTHROPIC_BASE_URL / SLEEPTIME_BASE_URL. */
  baseUrl?: string;
  /** Overrides OPENAI_API_KEY / ANTHROPIC_API_KEY / SLEEPTIME_API_KEY. */
  apiKey?: string;
  /** Where keys, base URLs and the data folder come from. Default: process.env. */
  env?: Environment;
  /** llama: where downloaded models go. Default: `<SLEEPTIME_DATA_DIR or ./.sleeptime>/models`. */
  cacheDir?: string;
  /** llama: show a download progress bar. */
  showProgress?: boolean;
  /** llama: context size in tokens (the provider's default when omitted). */
  contextSize?: number;
  /** Retry policy; see retry.ts. For llama the attempt timeout is off unless given here. */
  retry?: Partial<RetryOptions>;
  /** HTTP providers: a fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/**
 * The folder llama models are downloaded into, unless `cacheDir` says otherwise: shared by every
 * data folder, since model files are large (SLEEPTIME_MODELS_DIR, else the user's cache folder).
 */
export function defaultModelCacheDir(env: Environment = process.env): string {
  const explicit = nonEmpty(env.SLEEPTIME_MODELS_DIR);
  if (explicit !== undefined) return path.resolve(explicit);
  const cacheHome = nonEmpty(env.XDG_CACHE_HOME) ?? path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'sleeptime', 'models');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

const httpUrlSchema = z.url({ protocol: /^https?$/ });

function checkBaseUrl(baseUrl: string, source: string): string {
  if (!httpUrlSchema.safeParse(baseUrl).success) {
    throw userError('invalid_base_url', `${source} is not an http(s) URL: ${JSON.stringify(baseUrl)}`, { baseUrl });
  }
  return baseUrl;
}

function requireApiKey(provider: ProviderKind, variable: string, options: CreateModelOptions, env: Environment): string {
  const key = nonEmpty(options.apiKey) ?? nonEmpty(env[variable]);
  if (key === undefined) {
    throw userError('missing_api_key', `the ${provider} provider needs an API key: set ${variable}`, { provider, variable });
  }
  return key;
}

interface BuiltModel {
  languageModel: LanguageModelV3;
  apiKeyVariable?: string;
  close?: () => Promise<void>;
}

async function buildLanguageModel(provider: ProviderKind, modelId: string, options: CreateModelOptions): Promise<BuiltModel> {
  const env = options.env ?? process.env;
  switch (provider) {
    case 'openai': {
      const apiKey = requireApiKey(provider, 'OPENAI_API_KEY', options, env);
      const baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.OPENAI_BASE_URL);
      const openai = createOpenAI({
        apiKey,
        ...(baseUrl === undefined ? {} : { baseURL: checkBaseUrl(baseUrl, 'the OpenAI base URL') }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      return { languageModel: openai(modelId), apiKeyVariable: 'OPENAI_API_KEY' };
    }
    case 'anthropic': {
      const apiKey = requireApiKey(provider, 'ANTHROPIC_API_KEY', options, env);
      const baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.ANTHROPIC_BASE_URL);
      const anthropic = createAnthropic({
        apiKey,
        ...(baseUrl === undefined ? {} : { baseURL: checkBaseUrl(baseUrl, 'the Anthropic base URL') }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      return { languageModel: anthropic(modelId), apiKeyVariable: 'ANTHROPIC_API_KEY' };
    }
    case 'openai-compatible': {
      const baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.SLEEPTIME_BASE_URL);
      if (baseUrl === undefined) {
        throw userError(
          'missing_base_url',
          'the openai-compatible provider needs a server URL: pass --base-url or set SLEEPTIME_BASE_URL (e.g. http://127.0.0.1:8000/v1)',
          { provider },
        );
      }
      const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env.SLEEPTIME_API_KEY);
      const compatible = createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: checkBaseUrl(baseUrl, 'the openai-compatible base URL'),
        ...(apiKey === undefined ? {} : { apiKey }),
        includeUsage: true,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      return { languageModel: compatible.chatModel(modelId), apiKeyVariable: 'SLEEPTIME_API_KEY' };
    }
    case 'llama': {
      // Loaded on demand: node-llama-cpp is heavy and HTTP-only runs never need it.
      const { createLlamaModel } = await import('./llama/index.js');
      const llama = await createLlamaModel({
        source: modelId,
        cacheDir: options.cacheDir ?? defaultModelCacheDir(env),
        ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
        ...(options.showProgress === undefined ? {} : { showProgress: options.showProgress }),
      });
      return { languageModel: llama.languageModel, close: () => llama.close() };
    }
  }
}

/**
 * Makes a ready-to-use model from a spec string (see model-spec.ts): the provider's language model
 * wrapped with retries (see retry.ts), plus the budget mapping for that provider.
 * Call it with the AI SDK's own retries off (`maxRetries: 0`) so the two do not multiply.
 */
export async function createModel(spec: string, options: CreateModelOptions = {}): Promise<SleeptimeModel> {
  const { provider, modelId } = parseModelSpec(spec);
  const built = await buildLanguageModel(provider, modelId, options);
  const target: RetryTarget = {
    provider,
    spec: `${provider}:${modelId}`,
    ...(built.apiKeyVariable === undefined ? {} : { apiKeyVariable: built.apiKeyVariable }),
  };
  // Local generation can legitimately run for minutes on a CPU, and it is not a network fault.
  const retry: Partial<RetryOptions> = {
    ...options.retry,
    timeoutMs: options.retry?.timeoutMs ?? (provider === 'llama' ? 0 : DEFAULT_RETRY_OPTIONS.timeoutMs),
  };
  const languageModel = withRetries(built.languageModel, target, retry);
  let closed = false;
  return {
    spec: target.spec,
    provider,
    languageModel,
    callSettings: (budget: ModelBudget) => mapBudgetToCallSettings(provider, budget),
    close: async () => {
      if (closed) return;
      closed = true;
      await built.close?.();
    },
  };
}
