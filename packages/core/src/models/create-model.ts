import os from 'node:os';
import path from 'node:path';
import type { LanguageModelV3, SharedV3ProviderOptions } from '@ai-sdk/provider';
import { z } from 'zod';
import { userError } from '../errors.js';
import { mapBudgetToCallSettings, type BudgetCapabilities } from './budget-mapping.js';
import { completionsTemplate, type CompletionsTemplateName } from './completions-templates.js';
import { LLAMA_PACKAGE, loadLlamaProvider } from './llama-contract.js';
import { providerProvenance, requestServerProvenance, type ModelProvenance } from './model-provenance.js';
import { parseModelSpec } from './model-spec.js';
import type { RetryOptions, RetryTarget } from './retry.js';
import type { ModelBudget, PrefixWarmUp, ProviderKind, SleeptimeModel } from './types.js';
import { usageFromReport } from './usage.js';

export type Environment = Record<string, string | undefined>;

// Re-exported so callers find spec resolution beside createModel.
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
  /**
   * llama: where precomputed prompt-prefix states go (default: see defaultPrefixStateDir); null
   * turns sleep-time prefix precompute off.
   */
  prefixStateDir?: string | null;
  /** llama: byte budget of the prefix state folder (default 2 GiB, least recently used evicted). */
  prefixStateMaxBytes?: number;
  /**
   * llama: wall-clock limit of one model call in milliseconds, 0 for none; a call that hits it stops
   * and returns what it produced (finishReason raw `time-limit`). Default: SLEEPTIME_LLAMA_TIME_LIMIT
   * (seconds), else the provider's (10 minutes).
   */
  llamaCallTimeLimitMs?: number;
  /** llama: CPU threads. Default: SLEEPTIME_LLAMA_THREADS, else the provider's (one fewer than the math cores, at least 1). */
  llamaThreads?: number;
  /**
   * openai-compatible: the model's chat format for raw completions (`chatml` for Qwen3, QwQ, s1;
   * `deepseek-r1` for DeepSeek-R1 and its distills), which lets budgets force its thinking over the
   * server's `/v1/completions` (see budget-forcing-completions-model.ts). Default:
   * SLEEPTIME_COMPLETIONS_TEMPLATE, else none (budget forcing is then refused).
   */
  completionsTemplate?: CompletionsTemplateName;
}

/**
 * SLEEPTIME_PREFIX_STATE_DIR, else `prefix-states` in SLEEPTIME_DATA_DIR (the states belong to that
 * data folder's learned contexts), else beside the shared model folder.
 */
export function defaultPrefixStateDir(env: Environment = process.env): string {
  const explicit = nonEmpty(env.SLEEPTIME_PREFIX_STATE_DIR);
  if (explicit !== undefined) return path.resolve(explicit);
  const dataDir = nonEmpty(env.SLEEPTIME_DATA_DIR);
  if (dataDir !== undefined) return path.resolve(dataDir, 'prefix-states');
  return path.join(path.dirname(defaultModelCacheDir(env)), 'prefix-states');
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

/** SLEEPTIME_LLAMA_TIME_LIMIT: seconds, 0 for none (the CLI's --llama-time-limit takes precedence). */
function llamaCallTimeLimitFromEnv(env: Environment): number | undefined {
  const text = nonEmpty(env.SLEEPTIME_LLAMA_TIME_LIMIT);
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text))
    throw userError('invalid_option', `SLEEPTIME_LLAMA_TIME_LIMIT must be a number of seconds, 0 for none (got ${JSON.stringify(text)})`);
  return Math.round(Number(text) * 1000);
}

/** SLEEPTIME_LLAMA_THREADS: a positive integer (the CLI's --llama-threads takes precedence). */
function llamaThreadsFromEnv(env: Environment): number | undefined {
  const text = nonEmpty(env.SLEEPTIME_LLAMA_THREADS);
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,3}$/.test(text)) throw userError('invalid_option', `SLEEPTIME_LLAMA_THREADS must be a positive integer (got ${JSON.stringify(text)})`);
  return Number(text);
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
  /** llama: the model's own warm-up (evaluate and save the prefix state). */
  warmPrefix?: SleeptimeModel['warmPrefix'];
  /** HTTP servers with a prefix cache: warm it with one request carrying the prefix. */
  warmsByRequest?: boolean;
  provenance: NonNullable<SleeptimeModel['provenance']>;
  systemMessageProviderOptions?: SharedV3ProviderOptions;
  budgetCapabilities?: BudgetCapabilities;
}

/**
 * Anthropic caches a prompt prefix only up to a breakpoint: one on the system message (instructions,
 * learned context, raw context) caches everything but the question. Prefixes under Anthropic's
 * minimum cacheable length are simply not cached.
 */
const ANTHROPIC_SYSTEM_MESSAGE_OPTIONS: SharedV3ProviderOptions = Object.freeze({ anthropic: { cacheControl: { type: 'ephemeral' } } });

async function buildLanguageModel(provider: ProviderKind, modelId: string, options: CreateModelOptions): Promise<BuiltModel> {
  const env = options.env ?? process.env;
  switch (provider) {
    // Each provider (and the AI SDK behind the retry wrapper) loads when a model of its kind is made.
    case 'openai': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      const apiKey = requireApiKey(provider, 'OPENAI_API_KEY', options, env);
      const baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.OPENAI_BASE_URL);
      const openai = createOpenAI({
        apiKey,
        ...(baseUrl === undefined ? {} : { baseURL: checkBaseUrl(baseUrl, 'the OpenAI base URL') }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      return { languageModel: openai(modelId), apiKeyVariable: 'OPENAI_API_KEY', provenance: async () => providerProvenance(provider) };
    }
    case 'anthropic': {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      const apiKey = requireApiKey(provider, 'ANTHROPIC_API_KEY', options, env);
      const baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env.ANTHROPIC_BASE_URL);
      const anthropic = createAnthropic({
        apiKey,
        ...(baseUrl === undefined ? {} : { baseURL: checkBaseUrl(baseUrl, 'the Anthropic base URL') }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      return {
        languageModel: anthropic(modelId),
        apiKeyVariable: 'ANTHROPIC_API_KEY',
        warmsByRequest: true,
        provenance: async () => providerProvenance(provider),
        systemMessageProviderOptions: ANTHROPIC_SYSTEM_MESSAGE_OPTIONS,
      };
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
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      const compatible = createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: checkBaseUrl(baseUrl, 'the openai-compatible base URL'),
        ...(apiKey === undefined ? {} : { apiKey }),
        includeUsage: true,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      const templateName = nonEmpty(options.completionsTemplate) ?? nonEmpty(env.SLEEPTIME_COMPLETIONS_TEMPLATE);
      const template =
        templateName === undefined
          ? undefined
          : completionsTemplate(templateName, options.completionsTemplate === undefined ? 'SLEEPTIME_COMPLETIONS_TEMPLATE' : 'completionsTemplate');
      let languageModel: LanguageModelV3 = compatible.chatModel(modelId);
      if (template !== undefined) {
        // Calls that force a thinking budget go to /v1/completions; every other call to the chat model.
        const { BudgetForcingCompletionsModel } = await import('./budget-forcing-completions-model.js');
        languageModel = new BudgetForcingCompletionsModel(languageModel, {
          baseUrl,
          modelId,
          template,
          ...(apiKey === undefined ? {} : { apiKey }),
          ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        });
      }
      // vLLM (automatic prefix caching) and llama.cpp's server (cache_prompt) keep the KV cache of a
      // prompt they have read; a server without a prefix cache just answers one token.
      return {
        languageModel,
        ...(template === undefined ? {} : { budgetCapabilities: { rawCompletions: true } }),
        apiKeyVariable: 'SLEEPTIME_API_KEY',
        warmsByRequest: true,
        // The server says what it serves (the scripted test server declares itself): see model-provenance.ts.
        provenance: (provenanceOptions) =>
          requestServerProvenance({
            baseUrl,
            modelId,
            ...(apiKey === undefined ? {} : { apiKey }),
            ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
            ...(provenanceOptions?.signal === undefined ? {} : { signal: provenanceOptions.signal }),
          }),
      };
    }
    case 'llama': {
      // Loaded on demand: node-llama-cpp is heavy and HTTP-only runs never need it.
      const { createLlamaModel } = await loadLlamaProvider();
      const callTimeLimitMs = options.llamaCallTimeLimitMs ?? llamaCallTimeLimitFromEnv(env);
      const threads = options.llamaThreads ?? llamaThreadsFromEnv(env);
      const llama = await createLlamaModel({
        source: modelId,
        cacheDir: options.cacheDir ?? defaultModelCacheDir(env),
        ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
        ...(callTimeLimitMs === undefined ? {} : { callTimeLimitMs }),
        ...(threads === undefined ? {} : { threads }),
        ...(options.showProgress === undefined ? {} : { showProgress: options.showProgress }),
        ...(options.prefixStateDir === null
          ? {}
          : {
              prefixStateCache: {
                directory: options.prefixStateDir ?? defaultPrefixStateDir(env),
                ...(options.prefixStateMaxBytes === undefined ? {} : { maxBytes: options.prefixStateMaxBytes }),
              },
            }),
      });
      return {
        languageModel: llama.languageModel,
        close: () => llama.close(),
        provenance: async (): Promise<ModelProvenance> =>
          llama.provenance ?? { kind: 'unknown', source: 'none', detail: `${LLAMA_PACKAGE} did not read the model file's marker` },
        ...(options.prefixStateDir === null ? {} : { warmPrefix: (systemMessage, warmOptions) => llama.warmPrefix(systemMessage, warmOptions) }),
      };
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
  const retry: Partial<RetryOptions> = { ...options.retry, ...(provider === 'llama' && options.retry?.timeoutMs === undefined ? { timeoutMs: 0 } : {}) };
  const { withRetries } = await import('./retry-loader.js');
  const languageModel = withRetries(built.languageModel, target, retry);
  let closed = false;
  const warmPrefix =
    built.warmPrefix ?? (built.warmsByRequest === true ? warmByRequest(languageModel, provider, built.systemMessageProviderOptions) : undefined);
  return {
    spec: target.spec,
    provider,
    languageModel,
    callSettings: (budget: ModelBudget) => mapBudgetToCallSettings(provider, budget, built.budgetCapabilities),
    close: async () => {
      if (closed) return;
      closed = true;
      await built.close?.();
    },
    provenance: built.provenance,
    ...(warmPrefix === undefined ? {} : { warmPrefix }),
    ...(built.systemMessageProviderOptions === undefined ? {} : { systemMessageProviderOptions: built.systemMessageProviderOptions }),
  };
}

/**
 * Warms an upstream's prefix cache: one request whose prompt starts with the ask's system message,
 * byte for byte, and asks for a single token. The empty user turn keeps chat templates that require
 * one from rejecting the request; the cached part is everything before it.
 */
function warmByRequest(
  languageModel: LanguageModelV3,
  provider: ProviderKind,
  systemMessageProviderOptions: SharedV3ProviderOptions | undefined,
): SleeptimeModel['warmPrefix'] {
  // Anthropic refuses an empty text block; after the breakpoint, the user text is not cached anyway.
  const userText = provider === 'anthropic' ? '.' : '';
  return async (systemMessage, options = {}): Promise<PrefixWarmUp> => {
    const startedAt = performance.now();
    const result = await languageModel.doGenerate({
      prompt: [
        { role: 'system', content: systemMessage, ...(systemMessageProviderOptions === undefined ? {} : { providerOptions: systemMessageProviderOptions }) },
        { role: 'user', content: [{ type: 'text', text: userText }] },
      ],
      maxOutputTokens: 1,
      temperature: 0,
      ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
    });
    const usage = usageFromReport({
      inputTokens: result.usage.inputTokens.total,
      outputTokens: result.usage.outputTokens.total,
      reasoningTokens: result.usage.outputTokens.reasoning,
    });
    return { status: 'requested', usage, durationMs: performance.now() - startedAt };
  };
}
