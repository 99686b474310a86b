/**
 * `POST /v1/chat/completions`: an OpenAI-compatible front for the configured model, with the learned
 * context of a named context put before the caller's messages. The request goes through the AI SDK
 * (not forwarded byte for byte), so the upstream may be any provider sleeptime supports; the reply
 * is written back in OpenAI's shape, streamed or not, and each call is recorded as an ask run.
 */
import { randomUUID } from 'node:crypto';
import { generateText, streamText, type ModelMessage } from 'ai';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { withCallRecording } from '../engine/recording-model.js';
import { extractFinalAnswer } from '../engine/index.js';
import { SleeptimeError, upstreamError } from '../errors.js';
import type { SleeptimeModel } from '../models/types.js';
import { usageFromReport, zeroUsage, type Usage } from '../models/usage.js';
import type { Store } from '../store/types.js';
import { ApiError } from './api-errors.js';
import { chatCompletionBody, contextIdParameter, type ChatCompletionBody } from './api-schemas.js';
import { readJsonBody } from './request-validation.js';

export const contextHeader = 'x-sleeptime-context';

export interface ProxyDependencies {
  store: Store;
  loadModel: () => Promise<SleeptimeModel>;
  now: () => number;
  /** The store id of the caller's context with this name (tenant prefix added). */
  storedContextId: (name: string) => string;
}

/** Says what the injected notes are, so the upstream model weighs them as background, not instructions. */
export function learnedContextSystemMessage(learned: string): string {
  return [
    'Notes prepared in advance about the context of this conversation (inferences, computed quantities,',
    'anticipated questions with answers). Use them to save work; the conversation itself is the authority.',
    '<learned_context>',
    learned,
    '</learned_context>',
  ].join('\n');
}

function messageText(content: ChatCompletionBody['messages'][number]['content']): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

function toModelMessages(messages: ChatCompletionBody['messages']): ModelMessage[] {
  return messages.map((message): ModelMessage => {
    const text = messageText(message.content);
    if (message.role === 'assistant') return { role: 'assistant', content: text };
    if (message.role === 'user') return { role: 'user', content: text };
    // OpenAI's `developer` role is its newer name for system instructions.
    return { role: 'system', content: text };
  });
}

function openAiFinishReason(reason: string): string {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content-filter':
      return 'content_filter';
    case 'tool-calls':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

function openAiUsage(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

function asUpstreamFailure(error: unknown): SleeptimeError {
  if (SleeptimeError.isInstance(error)) return error;
  return upstreamError('chat_completion_failed', `The upstream model failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

export async function handleChatCompletion(context: Context, dependencies: ProxyDependencies): Promise<Response> {
  const { store, now } = dependencies;
  const body = await readJsonBody(context, chatCompletionBody);
  const contextName = context.req.header(contextHeader) ?? body.sleeptime_context;
  if (contextName === undefined) {
    throw new ApiError(400, 'missing_sleeptime_context', `Name the sleeptime context with the "${contextHeader}" header or the "sleeptime_context" body field`);
  }
  if (!contextIdParameter.safeParse(contextName).success) throw new ApiError(400, 'invalid_context_id', `Invalid context id "${contextName}"`);
  const storedId = dependencies.storedContextId(contextName);
  const record = await store.contexts.get(storedId);
  if (record === undefined) throw new ApiError(404, 'context_not_found', `No context with id "${contextName}"`);
  const learned = await store.learned.latest(storedId);
  const fresh = learned === undefined ? null : learned.sourceVersion === record.version;

  const model = await dependencies.loadModel();
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const callSettings = model.callSettings({
    ...(maxTokens === undefined ? {} : { maxOutputTokens: maxTokens }),
    ...(body.reasoning_effort === undefined || body.reasoning_effort === null ? {} : { effort: body.reasoning_effort }),
  });
  const messages = toModelMessages(body.messages);
  if (learned !== undefined) messages.unshift({ role: 'system', content: learnedContextSystemMessage(learned.text) });
  const lastUser = [...body.messages].reverse().find((message) => message.role === 'user');

  const run = await store.runs.start({
    contextId: storedId,
    kind: 'ask',
    model: model.spec,
    settings: { via: 'chat-completions', requestedModel: body.model, stream: body.stream === true, ...(maxTokens === undefined ? {} : { maxOutputTokens: maxTokens }) },
    sourceVersion: record.version,
    question: lastUser === undefined ? '' : messageText(lastUser.content),
  });
  const stop = body.stop === null || body.stop === undefined ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
  const callOptions = {
    messages,
    // The caller's own system messages are part of an OpenAI request: forwarding them is the point.
    allowSystemInMessages: true,
    maxRetries: 0,
    maxOutputTokens: callSettings.maxOutputTokens,
    providerOptions: callSettings.providerOptions,
    ...(body.temperature === null || body.temperature === undefined ? {} : { temperature: body.temperature }),
    ...(body.top_p === null || body.top_p === undefined ? {} : { topP: body.top_p }),
    ...(body.seed === null || body.seed === undefined ? {} : { seed: body.seed }),
    ...(stop === undefined ? {} : { stopSequences: stop }),
  };
  const completionId = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(now() / 1000);
  context.header('x-sleeptime-run-id', run.id);
  context.header('x-sleeptime-learned', fresh === null ? 'none' : fresh ? 'fresh' : 'stale');

  const complete = (answer: string, usage: Usage) =>
    store.runs.complete(run.id, {
      usage,
      answer,
      final: extractFinalAnswer(answer),
      ...(fresh === null ? {} : { fresh }),
      learnedContextId: learned?.id ?? null,
    });
  const fail = (failure: SleeptimeError, usage: Usage) =>
    store.runs.fail(run.id, { code: failure.code, message: failure.message }, usage).catch(() => undefined);

  if (body.stream !== true) {
    let usage: Usage = zeroUsage;
    const recording = withCallRecording(model.languageModel, {
      now,
      onCall: async (call) => {
        usage = call.usage;
        await store.runs.recordCall({ runId: run.id, phase: 'test', branch: 0, step: call.step, usage: call.usage, rawUsage: call.rawUsage, finishReason: call.finishReason, durationMs: call.durationMs });
      },
    });
    let result: Awaited<ReturnType<typeof generateText>>;
    try {
      result = await generateText({ model: recording, ...callOptions, abortSignal: context.req.raw.signal });
    } catch (error) {
      const failure = asUpstreamFailure(error);
      await fail(failure, usage);
      throw failure;
    }
    await complete(result.text, usage);
    return context.json({
      id: completionId,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: openAiFinishReason(result.finishReason) }],
      usage: openAiUsage(usage),
    });
  }

  const abort = new AbortController();
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  return streamSSE(context, async (stream) => {
    stream.onAbort(() => abort.abort());
    const startedAt = now();
    let answer = '';
    let usage: Usage = zeroUsage;
    try {
      const result = streamText({ model: model.languageModel, ...callOptions, abortSignal: abort.signal, onError: () => undefined });
      let finishReason = 'stop';
      let rawUsage: unknown;
      await stream.writeSSE({ data: chunk({ role: 'assistant', content: '' }, null) });
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          answer += part.text;
          await stream.writeSSE({ data: chunk({ content: part.text }, null) });
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'finish') {
          usage = usageFromReport(part.totalUsage);
          rawUsage = part.totalUsage;
          finishReason = part.finishReason;
        }
      }
      await store.runs.recordCall({ runId: run.id, phase: 'test', branch: 0, step: 0, usage, rawUsage, finishReason, durationMs: Math.max(0, now() - startedAt) });
      await complete(answer, usage);
      await stream.writeSSE({ data: chunk({}, openAiFinishReason(finishReason)) });
      if (includeUsage) {
        await stream.writeSSE({
          data: JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: openAiUsage(usage) }),
        });
      }
      await stream.writeSSE({ data: '[DONE]' });
    } catch (error) {
      const failure = asUpstreamFailure(error);
      await fail(failure, usage);
      // Headers are sent: the error travels in the stream, as OpenAI does, and the openai client throws it.
      await stream.writeSSE({ data: JSON.stringify({ error: { code: failure.code, message: failure.message, type: 'server_error' } }) });
    }
  });
}
