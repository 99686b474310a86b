/**
 * `POST /v1/chat/completions`: an OpenAI-compatible front for the configured model, with the learned
 * context of a named context put before the caller's messages. The request goes through the AI SDK
 * (not forwarded byte for byte), so the upstream may be any provider sleeptime supports; the reply
 * is written back in OpenAI's shape, streamed or not, and each call is recorded as an ask run.
 * Function tools go through too: their definitions reach the upstream model, and the model's tool
 * calls come back to the caller as `tool_calls` (the proxy never runs a tool); the caller sends the
 * results back as `tool` messages in its next request, as with OpenAI.
 * A completion counts as an ask: toward every-N-asks sleeps, and under the stale-ask policy (the
 * server's, or the request's `x-sleeptime-stale-policy` header / `sleeptime_stale_policy` field).
 */
import { randomUUID } from 'node:crypto';
import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import {
  generateText,
  jsonSchema,
  stepCountIs,
  streamText,
  tool,
  type AssistantContent,
  type JSONSchema7,
  type ModelMessage,
  type ToolChoice,
  type ToolSet,
} from 'ai';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { withCallRecording } from '@sleeptime/core';
import { extractFinalAnswer } from '@sleeptime/core';
import { SleeptimeError, upstreamError } from '@sleeptime/core';
import { parallelToolCallsOptions } from '@sleeptime/core';
import type { SleeptimeModel } from '@sleeptime/core';
import { usageFromReport, zeroUsage, type Usage } from '@sleeptime/core';
import type { SleepTriggers } from '../jobs/sleep-triggers.js';
import { applyStaleAskPolicy, parseStaleAskPolicy, type StaleAskPolicy } from '../jobs/stale-ask.js';
import type { Store } from '@sleeptime/core';
import { ApiError } from './api-errors.js';
import { chatCompletionBody, contextIdParameter, staleAskPolicyText, type ChatCompletionBody } from './api-schemas.js';
import { readJsonBody, validate } from './request-validation.js';

export const contextHeader = 'x-sleeptime-context';
/** Request: overrides the server's stale-ask policy (`serve-stale`, `without`, `wait:<ms>`). Response: the policy applied. */
export const stalePolicyHeader = 'x-sleeptime-stale-policy';
/**
 * Response: the learned context put before the messages: `fresh`, `stale` (made from an older
 * context version), `none` (there is none yet), or `stale-omitted` (stale, and left out by the
 * `without` policy).
 */
export const learnedHeader = 'x-sleeptime-learned';

export interface ProxyDependencies {
  store: Store;
  loadModel: () => Promise<SleeptimeModel>;
  now: () => number;
  /** The store id of the caller's context with this name (tenant prefix added). */
  storedContextId: (name: string) => string;
  /** A completion counts as an ask toward every-N-asks sleeps; `wait` makes a sleep due now. */
  triggers: Pick<SleepTriggers, 'afterAsk' | 'onDemand'>;
  /** The server's stale-ask policy; a request may override it. */
  staleAsk: StaleAskPolicy;
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

type ChatMessage = ChatCompletionBody['messages'][number];

/** Parses a tool call's JSON arguments; empty means none, as the AI SDK reads it. */
function toolCallInput(argumentsText: string, where: string): unknown {
  if (argumentsText.trim() === '') return {};
  try {
    return JSON.parse(argumentsText) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_tool_call_arguments', `${where}.function.arguments is not valid JSON`, { field: `${where}.function.arguments` });
  }
}

/**
 * OpenAI messages to AI SDK messages. Tool calls of assistant messages become `tool-call` parts, and
 * each `tool` message a `tool-result` named after the earlier call it answers. As OpenAI requires,
 * the calls of an assistant message must all be answered by the `tool` messages that follow it,
 * before any other message (the AI SDK refuses the prompt otherwise).
 */
function toModelMessages(messages: ChatCompletionBody['messages']): ModelMessage[] {
  const toolNames = new Map<string, string>();
  const unanswered = new Set<string>();
  const checkAnswered = (before: string) => {
    if (unanswered.size === 0) return;
    throw new ApiError(
      400,
      'missing_tool_results',
      `The tool calls ${[...unanswered].map((id) => `"${id}"`).join(', ')} have no tool message answering them ${before}`,
    );
  };
  const converted = messages.map((message: ChatMessage, index): ModelMessage => {
    const text = messageText(message.content);
    if (message.role === 'tool') {
      const toolName = toolNames.get(message.tool_call_id);
      if (toolName === undefined) {
        throw new ApiError(400, 'unknown_tool_call_id', `messages.${index}.tool_call_id "${message.tool_call_id}" answers no tool call of an earlier assistant message`, {
          field: `messages.${index}.tool_call_id`,
        });
      }
      unanswered.delete(message.tool_call_id);
      return { role: 'tool', content: [{ type: 'tool-result', toolCallId: message.tool_call_id, toolName, output: { type: 'text', value: text } }] };
    }
    checkAnswered(`before messages.${index}`);
    if (message.role === 'assistant') {
      const toolCalls = message.tool_calls ?? [];
      if (toolCalls.length === 0) return { role: 'assistant', content: text };
      const content: Exclude<AssistantContent, string> = text === '' ? [] : [{ type: 'text', text }];
      toolCalls.forEach((call, callIndex) => {
        toolNames.set(call.id, call.function.name);
        unanswered.add(call.id);
        content.push({
          type: 'tool-call',
          toolCallId: call.id,
          toolName: call.function.name,
          input: toolCallInput(call.function.arguments, `messages.${index}.tool_calls.${callIndex}`),
        });
      });
      return { role: 'assistant', content };
    }
    if (message.role === 'user') return { role: 'user', content: text };
    // OpenAI's `developer` role is its newer name for system instructions.
    return { role: 'system', content: text };
  });
  checkAnswered('at the end of the messages');
  return converted;
}

/**
 * The request's tools for the AI SDK, without `execute`: the model's calls end the (single) step
 * and go back to the caller. Parameters are passed as the caller's JSON Schema, unvalidated (the
 * caller checks the arguments it receives, as with OpenAI).
 */
function toToolSettings(body: ChatCompletionBody): { tools?: ToolSet; toolChoice?: ToolChoice<ToolSet> } {
  const definitions = body.tools ?? [];
  const names = new Set<string>();
  for (const [index, definition] of definitions.entries()) {
    if (names.has(definition.function.name)) {
      throw new ApiError(400, 'duplicate_tool_name', `tools.${index}.function.name "${definition.function.name}" is used by an earlier tool`, {
        field: `tools.${index}.function.name`,
      });
    }
    names.add(definition.function.name);
  }
  const choice = body.tool_choice ?? undefined;
  if (typeof choice === 'object' && !names.has(choice.function.name)) {
    throw new ApiError(400, 'unknown_tool', `tool_choice names the function "${choice.function.name}", which is not among the request's tools`, { field: 'tool_choice' });
  }
  if (choice === 'required' && names.size === 0) {
    throw new ApiError(400, 'invalid_tool_choice', 'tool_choice "required" needs at least one tool in tools', { field: 'tool_choice' });
  }
  if (definitions.length === 0) return {};
  // fromEntries defines own properties, so a tool named like an Object.prototype member stays a tool.
  const tools: ToolSet = Object.fromEntries(
    definitions.map(({ function: definition }) => [
      definition.name,
      tool({
        ...(definition.description === undefined ? {} : { description: definition.description }),
        inputSchema: jsonSchema((definition.parameters ?? { type: 'object', properties: {} }) as JSONSchema7),
        ...(definition.strict === undefined || definition.strict === null ? {} : { strict: definition.strict }),
      }),
    ]),
  );
  const toolChoice: ToolChoice<ToolSet> | undefined = choice === undefined ? undefined : typeof choice === 'string' ? choice : { type: 'tool', toolName: choice.function.name };
  return { tools, ...(toolChoice === undefined ? {} : { toolChoice }) };
}

/** Merges provider options one provider deep (both may set options for the same provider). */
function mergeProviderOptions(first: SharedV3ProviderOptions | undefined, second: SharedV3ProviderOptions | undefined): SharedV3ProviderOptions | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  const merged: SharedV3ProviderOptions = { ...first };
  for (const [provider, options] of Object.entries(second)) merged[provider] = { ...merged[provider], ...options };
  return merged;
}

interface ReturnedToolCall {
  id: string;
  name: string;
  /** JSON text, as OpenAI sends it. */
  arguments: string;
}

/** The JSON arguments of a tool call the AI SDK parsed; an unparsable one keeps its raw text. */
function toolCallArguments(call: { input: unknown; invalid?: boolean }): string {
  if (call.invalid === true && typeof call.input === 'string') return call.input;
  return JSON.stringify(call.input ?? {});
}

function openAiToolCalls(calls: ReturnedToolCall[]) {
  return calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } }));
}

/**
 * What the ask run records as its answer. A reply with tool calls has no answer yet (the caller runs
 * the tools and asks again, which is another run): it is recorded as a short JSON description of the
 * calls, after the text if there was any, and with no final answer.
 */
function recordedAnswer(text: string, calls: ReturnedToolCall[]): { answer: string; final: string | null } {
  if (calls.length === 0) return { answer: text, final: extractFinalAnswer(text) };
  const description = JSON.stringify({ tool_calls: calls.map((call) => ({ name: call.name, arguments: call.arguments })) });
  return { answer: text === '' ? description : `${text}\n${description}`, final: null };
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
  // Checked before anything is read or counted: a malformed conversation or tool list is a 400.
  const messages = toModelMessages(body.messages);
  const toolSettings = toToolSettings(body);
  const policyHeader = context.req.header(stalePolicyHeader);
  const policyText = policyHeader === undefined ? body.sleeptime_stale_policy : validate(staleAskPolicyText, policyHeader, `headers.${stalePolicyHeader}`);
  const policy = (policyText === undefined ? undefined : parseStaleAskPolicy(policyText)) ?? dependencies.staleAsk;
  const storedId = dependencies.storedContextId(contextName);
  const readContext = async () => {
    const found = await store.contexts.get(storedId);
    if (found === undefined) throw new ApiError(404, 'context_not_found', `No context with id "${contextName}"`);
    return found;
  };
  let record = await readContext();
  // As for an ask: a stale learned context is served flagged, waited for (then the context is read
  // again: it may have moved meanwhile), or left out.
  const decision = await applyStaleAskPolicy({ store, triggers: dependencies.triggers, contextId: storedId, contextVersion: record.version, policy, signal: context.req.raw.signal });
  if (policy.mode === 'wait') record = await readContext();
  const learned = decision === 'without' ? undefined : await store.learned.latest(storedId);
  const fresh = learned === undefined ? null : learned.sourceVersion === record.version;
  await dependencies.triggers.afterAsk(storedId);

  const model = await dependencies.loadModel();
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const callSettings = model.callSettings({
    ...(maxTokens === undefined ? {} : { maxOutputTokens: maxTokens }),
    ...(body.reasoning_effort === undefined || body.reasoning_effort === null ? {} : { effort: body.reasoning_effort }),
  });
  // Only with tools: OpenAI refuses parallel_tool_calls in a request without any.
  const parallelToolCalls = toolSettings.tools === undefined ? undefined : (body.parallel_tool_calls ?? undefined);
  const providerOptions = mergeProviderOptions(
    callSettings.providerOptions,
    parallelToolCalls === undefined ? undefined : parallelToolCallsOptions(model.provider, parallelToolCalls),
  );
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
    providerOptions,
    ...toolSettings,
    // One model call: tools have no `execute`, so a tool call ends the step and goes back to the
    // caller (this is also the AI SDK's default; said here so that it stays so).
    stopWhen: stepCountIs(1),
    ...(body.temperature === null || body.temperature === undefined ? {} : { temperature: body.temperature }),
    ...(body.top_p === null || body.top_p === undefined ? {} : { topP: body.top_p }),
    ...(body.seed === null || body.seed === undefined ? {} : { seed: body.seed }),
    ...(stop === undefined ? {} : { stopSequences: stop }),
  };
  const completionId = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(now() / 1000);
  context.header('x-sleeptime-run-id', run.id);
  context.header(learnedHeader, decision === 'without' ? 'stale-omitted' : fresh === null ? 'none' : fresh ? 'fresh' : 'stale');
  context.header(stalePolicyHeader, policy.mode);

  const complete = (text: string, toolCalls: ReturnedToolCall[], usage: Usage) =>
    store.runs.complete(run.id, {
      usage,
      ...recordedAnswer(text, toolCalls),
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
    // Calls the provider ran itself (none of the caller's tools) are not the caller's to answer.
    const toolCalls = result.toolCalls
      .filter((call) => call.providerExecuted !== true)
      .map((call): ReturnedToolCall => ({ id: call.toolCallId, name: call.toolName, arguments: toolCallArguments(call) }));
    await complete(result.text, toolCalls, usage);
    const message =
      toolCalls.length === 0
        ? { role: 'assistant', content: result.text, refusal: null }
        : // OpenAI sends null content with tool calls when the model wrote no text.
          { role: 'assistant', content: result.text === '' ? null : result.text, refusal: null, tool_calls: openAiToolCalls(toolCalls) };
    return context.json({
      id: completionId,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: openAiFinishReason(result.finishReason) }],
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
    // Tool calls by id, in the order they started; the index is OpenAI's `tool_calls[].index`.
    const toolCalls = new Map<string, ReturnedToolCall & { index: number }>();
    const toolCallDelta = (call: { index: number }, fields: Record<string, unknown>) => chunk({ tool_calls: [{ index: call.index, ...fields }] }, null);
    try {
      const result = streamText({ model: model.languageModel, ...callOptions, abortSignal: abort.signal, onError: () => undefined });
      let finishReason = 'stop';
      let rawUsage: unknown;
      await stream.writeSSE({ data: chunk({ role: 'assistant', content: '' }, null) });
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          answer += part.text;
          await stream.writeSSE({ data: chunk({ content: part.text }, null) });
        } else if (part.type === 'tool-input-start' && part.providerExecuted !== true) {
          // The first delta of a call carries its id, type and name; its arguments follow in pieces.
          const call = { id: part.id, name: part.toolName, arguments: '', index: toolCalls.size };
          toolCalls.set(part.id, call);
          await stream.writeSSE({ data: toolCallDelta(call, { id: call.id, type: 'function', function: { name: call.name, arguments: '' } }) });
        } else if (part.type === 'tool-input-delta') {
          const call = toolCalls.get(part.id);
          if (call === undefined || part.delta === '') continue;
          call.arguments += part.delta;
          await stream.writeSSE({ data: toolCallDelta(call, { function: { arguments: part.delta } }) });
        } else if (part.type === 'tool-call' && part.providerExecuted !== true) {
          // The complete call. Providers that stream no input pieces send only this: the call goes
          // out whole. A call streamed with no arguments gets them now ("{}"), as OpenAI sends.
          const started = toolCalls.get(part.toolCallId);
          const argumentsText = toolCallArguments(part);
          if (started === undefined) {
            const call = { id: part.toolCallId, name: part.toolName, arguments: argumentsText, index: toolCalls.size };
            toolCalls.set(call.id, call);
            await stream.writeSSE({ data: toolCallDelta(call, { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }) });
          } else if (started.arguments === '') {
            started.arguments = argumentsText;
            await stream.writeSSE({ data: toolCallDelta(started, { function: { arguments: argumentsText } }) });
          }
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'finish') {
          usage = usageFromReport(part.totalUsage);
          rawUsage = part.totalUsage;
          finishReason = part.finishReason;
        }
      }
      await store.runs.recordCall({ runId: run.id, phase: 'test', branch: 0, step: 0, usage, rawUsage, finishReason, durationMs: Math.max(0, now() - startedAt) });
      await complete(answer, [...toolCalls.values()], usage);
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
