/**
 * log p(query | context) from an OpenAI-compatible server that returns prompt log-probabilities.
 *
 * The contract (vLLM's legacy completions endpoint; also what OpenAI's API did before it dropped
 * `echo` with `logprobs`):
 *
 *     POST {baseUrl}/completions
 *     {"model": M, "prompt": context + separator + query, "max_tokens": 1, "echo": true,
 *      "logprobs": 1, "temperature": 0}
 *
 *     200 {"choices": [{"logprobs": {"tokens": [...], "token_logprobs": [null, -2.1, ...],
 *                                    "text_offset": [0, 3, ...]}}],
 *          "usage": {"prompt_tokens": P, ...}}
 *
 * With `echo`, the first entries of `tokens`/`token_logprobs` are the prompt's (the first one has
 * no log-probability: nothing precedes it), followed by the `max_tokens` generated ones. Prompt
 * tokens are the first `usage.prompt_tokens` entries when the server reports it, else those whose
 * `text_offset` lies inside the prompt. A prompt token belongs to the query when its text reaches
 * past the start of the query (`text_offset` of the next token, or the prompt's end, is beyond it),
 * so a token that straddles the boundary is scored, as in the llama scorer. `text_offset` counts
 * characters the way Python does (code points), and so does this module.
 *
 * `max_tokens` is 1 because some servers reject 0; the generated token is ignored.
 */
import { z } from 'zod';
import { SleeptimeError, upstreamError, userError, errorMessage } from '@sleeptime/core';
import { abortableSleep, backoffDelayMs, retryAfterMs } from '@sleeptime/core';
import type { PredictabilityRow } from '../bench-types.js';
import { DEFAULT_QUERY_SEPARATOR, type PredictabilityItem, type ScoringProgress } from './predictability-item.js';

export interface OpenAiCompatibleQueryScorerOptions {
  /** Ends before `/completions`, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  /** The server's model name (the `model` field of the request). */
  model: string;
  /** Written to every row's `model`. Default `openai-compatible:<model>`. */
  modelName?: string;
  apiKey?: string;
  separator?: string;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Per request. Default 120 s. */
  timeoutMs?: number;
  /** Calls per item, the first included, for 429, 5xx and connection failures. Default 3. */
  maxAttempts?: number;
  /** Default 1 (see the module comment). */
  maxTokens?: number;
  onProgress?: (progress: ScoringProgress) => void;
  signal?: AbortSignal;
  /** Injectable for tests. */
  fetch?: typeof fetch;
}

const completionResponseSchema = z.object({
  choices: z
    .array(
      z.object({
        logprobs: z
          .object({
            tokens: z.array(z.string()),
            token_logprobs: z.array(z.number().nullable()),
            text_offset: z.array(z.number()),
          })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).partial().nullable().optional(),
});

export type CompletionResponse = z.infer<typeof completionResponseSchema>;

export async function scoreWithOpenAiCompatibleServer(
  items: readonly PredictabilityItem[],
  options: OpenAiCompatibleQueryScorerOptions,
): Promise<PredictabilityRow[]> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw userError('invalid_concurrency', `concurrency must be a positive integer, got ${concurrency}`);
  const rows = new Array<PredictabilityRow>(items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      rows[index] = await scoreOneItem(items[index] as PredictabilityItem, options);
      done += 1;
      options.onProgress?.({ done, total: items.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return rows;
}

async function scoreOneItem(item: PredictabilityItem, options: OpenAiCompatibleQueryScorerOptions): Promise<PredictabilityRow> {
  const separator = options.separator ?? DEFAULT_QUERY_SEPARATOR;
  const prompt = `${item.context}${separator}${item.query}`;
  const response = await requestCompletion(prompt, item, options);
  const { logProbability, queryTokens } = queryLogProbabilityFromEcho(response, {
    queryStart: codePointLength(`${item.context}${separator}`),
    promptLength: codePointLength(prompt),
    itemId: item.itemId,
  });
  return {
    dataset: item.dataset,
    itemId: item.itemId,
    model: options.modelName ?? `openai-compatible:${options.model}`,
    logProbability,
    queryTokens,
  };
}

/** Sums the query tokens' log-probabilities of an echoed completion (see the module comment). */
export function queryLogProbabilityFromEcho(
  response: CompletionResponse,
  where: { queryStart: number; promptLength: number; itemId: string },
): { logProbability: number; queryTokens: number } {
  const logprobs = response.choices[0]?.logprobs;
  if (logprobs === null || logprobs === undefined) {
    throw userError(
      'predictability_no_prompt_logprobs',
      'The server returned no log-probabilities: it must support `echo: true` with `logprobs` on /completions (vLLM does; OpenAI’s API no longer does).',
      { itemId: where.itemId },
    );
  }
  const { tokens, token_logprobs: values, text_offset: offsets } = logprobs;
  if (values.length !== tokens.length || offsets.length !== tokens.length)
    throw malformed(`tokens, token_logprobs and text_offset differ in length (${tokens.length}, ${values.length}, ${offsets.length})`, where.itemId);
  const reportedPromptTokens = response.usage?.prompt_tokens;
  const promptTokens = reportedPromptTokens ?? offsets.filter((offset) => offset < where.promptLength).length;
  if (promptTokens > tokens.length) throw malformed(`usage.prompt_tokens (${promptTokens}) exceeds the ${tokens.length} tokens returned; was echo ignored?`, where.itemId);

  let logProbability = 0;
  let queryTokens = 0;
  for (let index = 0; index < promptTokens; index += 1) {
    const end = index + 1 < promptTokens ? (offsets[index + 1] as number) : where.promptLength;
    if (end <= where.queryStart) continue;
    const value = values[index];
    // Only the prompt's first token has no log-probability (nothing precedes it): with an empty context it is not scored.
    if (value === null || value === undefined) {
      if (index === 0) continue;
      throw malformed(`prompt token ${index} has no log-probability`, where.itemId);
    }
    logProbability += value;
    queryTokens += 1;
  }
  if (queryTokens === 0) throw malformed('no prompt token overlaps the query; the server may not echo the prompt', where.itemId);
  return { logProbability, queryTokens };
}

async function requestCompletion(prompt: string, item: PredictabilityItem, options: OpenAiCompatibleQueryScorerOptions): Promise<CompletionResponse> {
  const fetchFunction = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/completions`;
  const maxAttempts = options.maxAttempts ?? 3;
  const body = JSON.stringify({ model: options.model, prompt, max_tokens: options.maxTokens ?? 1, echo: true, logprobs: 1, temperature: 0 });
  for (let attempt = 1; ; attempt += 1) {
    options.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    let retryable: SleeptimeError;
    let waitMs: number | undefined;
    try {
      const response = await fetchFunction(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }) },
        body,
        signal,
      });
      const text = await response.text();
      if (response.ok) return parseResponse(text, item.itemId);
      const error = upstreamError('predictability_server_error', `${url} answered HTTP ${response.status} for item ${item.itemId}: ${text.slice(0, 300)}`, {
        details: { status: response.status, itemId: item.itemId },
      });
      if (response.status !== 429 && response.status !== 408 && response.status < 500) throw error;
      retryable = error;
      waitMs = retryAfterMs(Object.fromEntries(response.headers.entries()));
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (SleeptimeError.isInstance(error)) throw error;
      retryable = upstreamError(
        timeout.aborted ? 'predictability_server_timeout' : 'predictability_server_unreachable',
        `${url} failed for item ${item.itemId}: ${timeout.aborted ? 'timed out' : errorMessage(error)}`,
        { cause: error, details: { itemId: item.itemId } },
      );
    }
    if (attempt >= maxAttempts) throw retryable;
    await abortableSleep(waitMs ?? backoffDelayMs(attempt, { initialDelayMs: 500, maxDelayMs: 8_000, random: Math.random }), options.signal);
  }
}

function parseResponse(text: string, itemId: string): CompletionResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed(`not JSON: ${text.slice(0, 200)}`, itemId);
  }
  const parsed = completionResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw malformed(`${issue?.message ?? 'unexpected shape'} at ${issue?.path.join('.') ?? '?'}`, itemId);
  }
  return parsed.data;
}

function malformed(problem: string, itemId: string): SleeptimeError {
  return upstreamError('predictability_malformed_response', `Unexpected completions response for item ${itemId}: ${problem}`, { details: { itemId } });
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}
