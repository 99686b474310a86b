/**
 * Budget forcing for OpenAI-compatible servers that serve raw completions (vLLM's and llama.cpp's
 * `/v1/completions`): a language model that answers calls with `providerOptions.sleeptime.budgetForcing`
 * by a loop of raw completion requests, and hands every other call to the chat model unchanged.
 *
 * The loop (see budget-forcing.ts for the two modes):
 * 1. the prompt is the messages rendered with the model's completions template, ending with the
 *    assistant's thinking opened (`<think>\n`);
 * 2. a thinking request continues it with `stop: [</think>]` and `max_tokens` = the thought tokens
 *    left (and no more than the output limit leaves);
 * 3. when the model stopped at `</think>` (or ended its text) early and `extend` has waits left,
 *    "Wait" is appended to what it thought and step 2 runs again on the longer prompt;
 * 4. otherwise `</think>` is appended (the model's own, or the cap's) and one answer request
 *    continues from there with the room the output limit leaves.
 *
 * Usage: output tokens are the completion tokens of every request (`reasoning`: those of the
 * thinking requests, `text`: the answer's), as the server counted them; the inserted "Wait" and
 * `</think>` are prompt. Input tokens are the prompt tokens of every request summed, as the server
 * billed them (its prefix cache makes the repeated prefix cheap, but it is read each time).
 * The whole loop is one model call to the retry policy: a failed request retries the loop.
 */
import { randomUUID } from 'node:crypto';
import {
  APICallError,
  InvalidResponseDataError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3Content,
  type LanguageModelV3FinishReason,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3StreamPart,
  type LanguageModelV3StreamResult,
  type SharedV3Warning,
} from '@ai-sdk/provider';
import { userError } from '../errors.js';
import {
  BUDGET_FORCING_OPTIONS_KEY,
  budgetForcingProviderMetadata,
  budgetForcingSchema,
  shouldWait,
  waitContinuation,
  type BudgetForcing,
  type ThinkingEnd,
} from './budget-forcing.js';
import { promptToTemplateMessages, type CompletionsTemplate } from './completions-templates.js';

export interface BudgetForcingCompletionsSettings {
  /** The server's base URL, ending in `/v1`: requests go to `<baseUrl>/completions`. */
  baseUrl: string;
  modelId: string;
  apiKey?: string;
  template: CompletionsTemplate;
  fetch?: typeof fetch;
}

interface CompletionReply {
  text: string;
  /** `stop` (a stop sequence or the end of the text) or `length` (max_tokens), as the server said. */
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
}

interface CompletionRequest {
  prompt: string;
  maxTokens: number | undefined;
  stop: string[];
}

export class BudgetForcingCompletionsModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider: string;
  readonly modelId: string;
  readonly supportedUrls: LanguageModelV3['supportedUrls'];

  constructor(
    private readonly chatModel: LanguageModelV3,
    private readonly settings: BudgetForcingCompletionsSettings,
  ) {
    this.provider = chatModel.provider;
    this.modelId = chatModel.modelId;
    this.supportedUrls = chatModel.supportedUrls;
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const forcing = budgetForcingOf(options);
    if (forcing === undefined) return this.chatModel.doGenerate(options);
    return this.generateForced(options, forcing);
  }

  /** A forced call is not streamed piece by piece: its parts arrive once the loop is done. */
  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const forcing = budgetForcingOf(options);
    if (forcing === undefined) return this.chatModel.doStream(options);
    const result = await this.generateForced(options, forcing);
    return { stream: streamOf(result) };
  }

  private async generateForced(options: LanguageModelV3CallOptions, forcing: BudgetForcing): Promise<LanguageModelV3GenerateResult> {
    if ((options.tools?.length ?? 0) > 0 && options.toolChoice?.type !== 'none')
      throw userError('budget_forcing_unsupported', 'budget forcing answers in text: a call with tools cannot be forced');
    if (options.responseFormat?.type === 'json')
      throw userError('budget_forcing_unsupported', 'budget forcing answers in text: a call that asks for JSON cannot be forced');
    const { template } = this.settings;
    const warnings: SharedV3Warning[] = [];
    const prompt = template.render(promptToTemplateMessages(options.prompt));
    const limit = options.maxOutputTokens;

    let thought = '';
    let thoughtTokens = 0;
    let promptTokens = 0;
    let waits = 0;
    let thinkingEndedBy: ThinkingEnd;
    for (;;) {
      const room = limit === undefined ? Number.POSITIVE_INFINITY : limit - thoughtTokens;
      const maxTokens = Math.min(forcing.thinkingTokens - thoughtTokens, room);
      if (maxTokens <= 0) {
        thinkingEndedBy = room <= 0 ? 'output-limit' : 'budget';
        break;
      }
      const reply = await this.complete({ prompt: prompt + thought, maxTokens, stop: [template.thinkEnd] }, options);
      promptTokens += reply.promptTokens;
      thoughtTokens += reply.completionTokens;
      thought += reply.text;
      if (reply.finishReason === 'length') {
        thinkingEndedBy = thoughtTokens >= forcing.thinkingTokens ? 'budget' : 'output-limit';
        break;
      }
      // The model ended its thinking (at the delimiter, or at the end of its text).
      if (!shouldWait(forcing, { thoughtTokens, waitsUsed: waits })) {
        thinkingEndedBy = 'model';
        break;
      }
      thought += waitContinuation(thought);
      waits += 1;
    }

    const room = limit === undefined ? undefined : limit - thoughtTokens;
    let answer = '';
    let answerTokens = 0;
    let finishReason: LanguageModelV3FinishReason;
    if (room !== undefined && room <= 0) {
      // The output limit went to thinking: nothing is left for the answer.
      finishReason = { unified: 'length', raw: 'length' };
    } else {
      const reply = await this.complete(
        { prompt: prompt + thought + template.thinkEnd, maxTokens: room, stop: [...(options.stopSequences ?? []), template.endOfTurn] },
        options,
      );
      promptTokens += reply.promptTokens;
      answerTokens = reply.completionTokens;
      // The model writes its own separator after </think>; the answer starts at its first word.
      answer = reply.text.replace(/^\s+/, '');
      finishReason = mapFinishReason(reply.finishReason);
    }

    const content: LanguageModelV3Content[] = [];
    if (thought !== '') content.push({ type: 'reasoning', text: thought });
    if (answer !== '') content.push({ type: 'text', text: answer });
    return {
      content,
      finishReason,
      usage: {
        inputTokens: { total: promptTokens, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: thoughtTokens + answerTokens, text: answerTokens, reasoning: thoughtTokens },
      },
      providerMetadata: budgetForcingProviderMetadata({
        mode: forcing.mode,
        thinkingTokens: forcing.thinkingTokens,
        thoughtTokens,
        waits,
        thinkingEndedBy,
      }),
      warnings,
      response: { id: randomUUID(), modelId: this.modelId, timestamp: new Date() },
    };
  }

  /** One raw completion request (not streamed). */
  private async complete(request: CompletionRequest, options: LanguageModelV3CallOptions): Promise<CompletionReply> {
    const url = `${this.settings.baseUrl.replace(/\/+$/, '')}/completions`;
    const body: Record<string, unknown> = {
      model: this.settings.modelId,
      prompt: request.prompt,
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      stop: request.stop,
      ...definedFields({
        temperature: options.temperature,
        top_p: options.topP,
        top_k: options.topK,
        seed: options.seed,
        frequency_penalty: options.frequencyPenalty,
        presence_penalty: options.presencePenalty,
      }),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.settings.apiKey !== undefined) headers.authorization = `Bearer ${this.settings.apiKey}`;
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = value;

    const response = await (this.settings.fetch ?? fetch)(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      ...(options.abortSignal === undefined ? {} : { signal: options.abortSignal }),
    });
    const responseBody = await response.text();
    const responseHeaders = Object.fromEntries(response.headers.entries());
    if (!response.ok) {
      const data = parseJson(responseBody);
      const message = (data as { error?: { message?: unknown } } | undefined)?.error?.message;
      throw new APICallError({
        message: typeof message === 'string' ? message : `${response.status} ${response.statusText}`.trim(),
        url,
        requestBodyValues: body,
        statusCode: response.status,
        responseHeaders,
        responseBody,
        isRetryable: response.status === 408 || response.status === 409 || response.status === 429 || response.status >= 500,
        data,
      });
    }
    const data = parseJson(responseBody) as
      | { choices?: { text?: unknown; finish_reason?: unknown }[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }
      | undefined;
    const choice = data?.choices?.[0];
    const completionTokens = data?.usage?.completion_tokens;
    const promptTokens = data?.usage?.prompt_tokens;
    if (typeof choice?.text !== 'string' || typeof completionTokens !== 'number' || typeof promptTokens !== 'number')
      // Without the server's token counts the budget cannot be kept: never guessed.
      throw new InvalidResponseDataError({ data, message: 'the completions response has no choices[0].text or no usage (prompt_tokens, completion_tokens)' });
    return { text: choice.text, finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop', promptTokens, completionTokens };
  }
}

/** The call's budget forcing, parsed; undefined when it asks for none. */
function budgetForcingOf(options: LanguageModelV3CallOptions): BudgetForcing | undefined {
  const value = options.providerOptions?.[BUDGET_FORCING_OPTIONS_KEY]?.budgetForcing;
  if (value === undefined) return undefined;
  const parsed = budgetForcingSchema.safeParse(value);
  if (!parsed.success)
    throw userError('invalid_budget', `invalid budget: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`, { budgetForcing: value });
  return parsed.data;
}

function mapFinishReason(raw: string): LanguageModelV3FinishReason {
  if (raw === 'length') return { unified: 'length', raw };
  if (raw === 'stop') return { unified: 'stop', raw };
  return { unified: 'other', raw };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function definedFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** The parts of a finished result as a stream, in the order a streamed call sends them. */
function streamOf(result: LanguageModelV3GenerateResult): ReadableStream<LanguageModelV3StreamPart> {
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      controller.enqueue({ type: 'stream-start', warnings: result.warnings });
      if (result.response !== undefined) controller.enqueue({ type: 'response-metadata', ...result.response });
      result.content.forEach((part, index) => {
        if (part.type !== 'text' && part.type !== 'reasoning') return;
        const id = `${part.type}-${index}`;
        if (part.type === 'text') {
          controller.enqueue({ type: 'text-start', id });
          controller.enqueue({ type: 'text-delta', id, delta: part.text });
          controller.enqueue({ type: 'text-end', id });
        } else {
          controller.enqueue({ type: 'reasoning-start', id });
          controller.enqueue({ type: 'reasoning-delta', id, delta: part.text });
          controller.enqueue({ type: 'reasoning-end', id });
        }
      });
      controller.enqueue({
        type: 'finish',
        finishReason: result.finishReason,
        usage: result.usage,
        ...(result.providerMetadata === undefined ? {} : { providerMetadata: result.providerMetadata }),
      });
      controller.close();
    },
  });
}
