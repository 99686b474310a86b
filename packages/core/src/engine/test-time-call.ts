/**
 * The one test-time path. An ask and a chat (the proxy's conversation) differ only in the prompt
 * they lay out and what they return; both go through here: read the context and its learned
 * context, make the model and map the budget (refusals happen here, before anything is written),
 * start the run, make one model call (whole or streamed) and settle the run with the same fields
 * (usage, answer, freshness, prefix-cache hit, time to first token), or fail it with what was spent.
 * A cancelled call is recorded as failed (`aborted`), never as a success.
 */
import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import { generateText, stepCountIs, streamText, type ModelMessage, type SystemModelMessage, type ToolChoice, type ToolSet } from 'ai';
import { SleeptimeError } from '../errors.js';
import { parallelToolCallsOptions } from '../models/budget-mapping.js';
import { readPrefixCacheReport } from '../models/prefix-cache-report.js';
import type { CallSettings, ModelBudget } from '../models/types.js';
import { sumUsage, type Usage } from '../models/usage.js';
import type { ContextRecord, LearnedContextRecord, RunRecord } from '../store/types.js';
import { withoutUndefined } from '../without-undefined.js';
import type { EngineDeps } from './engine-deps.js';
import { defaultOutputLimit } from './engine-defaults.js';
import { abortedError, modelFailure, storeCall } from './engine-errors.js';
import type { ChatToolCall, TestTimeOutcome, TestTimeStream, TestTimeStreamEvent } from './engine-types.js';
import { extractFinalAnswer } from './final-answer.js';
import { truncationLimit } from './truncation-limit.js';
import { toCallRecord, withCallRecording, type RecordedModelCall } from './recording-model.js';

/** The prompt of a test-time call: a prefix-cacheable system text (or none), then the messages. */
export interface TestTimePrompt {
  /** Identical for every call on the same context and learned versions: where a cache breakpoint goes. */
  system?: string | undefined;
  messages: ModelMessage[];
}

export interface TestTimeCallSpec {
  contextId: string;
  /** `ask` or `chat completion`: names the call in error messages. */
  what: string;
  /** The upstream error code of a failed call. */
  failureCode: string;
  /** Recorded as the run's question. */
  question: string;
  /** Recorded as the run's settings (what the call was made with, for reproducing it). */
  settings: Record<string, unknown>;
  /** Without `maxOutputTokens`, the call gets `defaultMaxOutputTokens` (plus room for the thinking it asks for). */
  budget: ModelBudget;
  defaultMaxOutputTokens: number;
  useLearned: boolean;
  /** Refuses (throws a user error) before anything is written when the prompt would hold nothing to answer from. */
  check?: ((learned: LearnedContextRecord | undefined) => void) | undefined;
  prompt(input: { context: ContextRecord; learned: LearnedContextRecord | undefined }): TestTimePrompt;
  tools?: ToolSet | undefined;
  toolChoice?: ToolChoice<ToolSet> | undefined;
  parallelToolCalls?: boolean | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  seed?: number | undefined;
  stopSequences?: string[] | undefined;
  signal?: AbortSignal | undefined;
}

/** What a finished call produced, before the ask or the chat shapes its result. */
export interface TestTimeAnswer {
  outcome: TestTimeOutcome;
  text: string;
  toolCalls: ChatToolCall[];
  /** The extracted final answer, as recorded on the run; null for a reply with tool calls. */
  final: string | null;
}

/** A call whose run has started: generate or stream it once. */
export interface PreparedTestTimeCall {
  run: RunRecord;
  context: ContextRecord;
  learned: LearnedContextRecord | undefined;
  fresh: boolean | null;
  generate(): Promise<TestTimeAnswer>;
  stream(): AsyncGenerator<TestTimeStreamEvent<TestTimeAnswer>>;
}

/** Merges provider options one provider deep (both may set options for the same provider). */
function mergeProviderOptions(first: SharedV3ProviderOptions | undefined, second: SharedV3ProviderOptions | undefined): SharedV3ProviderOptions | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  const merged: SharedV3ProviderOptions = { ...first };
  for (const [provider, options] of Object.entries(second)) merged[provider] = { ...merged[provider], ...options };
  return merged;
}

/**
 * The recorded answer. A reply with tool calls has no answer yet (the caller runs the tools and asks
 * again, which is another run): it is recorded as a short JSON description of the calls, after the
 * text if there was any.
 */
export function recordedAnswer(text: string, toolCalls: readonly ChatToolCall[]): string {
  if (toolCalls.length === 0) return text;
  const description = JSON.stringify({ tool_calls: toolCalls.map((call) => ({ name: call.name, arguments: call.arguments })) });
  return text === '' ? description : `${text}\n${description}`;
}

/** The JSON arguments of a tool call the AI SDK parsed; an unparsable one keeps its raw text. */
function toolCallArguments(call: { input: unknown; invalid?: boolean | undefined }): string {
  if (call.invalid === true && typeof call.input === 'string') return call.input;
  return JSON.stringify(call.input ?? {});
}

/** Prefix-cache hit: the provider-neutral report when there is one, else whether the provider's cache served prompt tokens. */
function prefixCacheOf(providerMetadata: unknown, cacheReadTokens: number | undefined): { hit: boolean | null; timeToFirstTokenMs: number | null } {
  const report = readPrefixCacheReport(providerMetadata);
  return {
    hit: report?.prefixCacheHit ?? (cacheReadTokens === undefined ? null : cacheReadTokens > 0),
    timeToFirstTokenMs: report?.timeToFirstTokenMs ?? null,
  };
}

export async function prepareTestTimeCall(deps: EngineDeps, spec: TestTimeCallSpec): Promise<PreparedTestTimeCall> {
  const { store, now } = deps;
  const context = await deps.requireContext(spec.contextId);
  const learned = spec.useLearned ? await storeCall('read the learned context', () => store.learned.latest(spec.contextId)) : undefined;
  spec.check?.(learned);
  const model = await deps.loadModel();
  // Never unbounded: a small model can repeat one sentence until its context is full.
  const maxOutputTokens = spec.budget.maxOutputTokens ?? defaultOutputLimit(spec.defaultMaxOutputTokens, spec.budget, model.provider);
  // May throw a user error for a knob this provider lacks: before any run is started.
  const callSettings: CallSettings = model.callSettings({ ...spec.budget, maxOutputTokens });
  if (spec.signal?.aborted === true) throw abortedError(spec.what, spec.signal.reason);
  const fresh = learned === undefined ? null : learned.sourceVersion === context.version;
  const prompt = spec.prompt({ context, learned });

  const run = await storeCall('start a run', () =>
    store.runs.start({
      contextId: spec.contextId,
      kind: 'ask',
      model: model.spec,
      // The limit the call ran with, default or not, so a truncated answer can be told apart.
      settings: { ...spec.settings, maxOutputTokens },
      sourceVersion: context.version,
      question: spec.question,
    }),
  );

  const calls: RecordedModelCall[] = [];
  const spent = (): Usage => sumUsage(calls.map((call) => call.usage));
  // The context was deleted while the model answered (its runs went with it): the answer the
  // upstream finished still goes to the caller, with nothing left to record it under.
  let runVanished = false;
  const recordingModel = withCallRecording(model.languageModel, {
    now,
    onCall: async (call) => {
      calls.push(call);
      try {
        await storeCall('record a model call', () => store.runs.recordCall(toCallRecord(run.id, 'test', 0, call)));
      } catch (error) {
        if (!(await vanished(error))) throw error;
      }
    },
  });
  /** Whether this error says the run is gone because its context was deleted. */
  async function vanished(error: unknown): Promise<boolean> {
    if (runVanished) return true;
    if (!SleeptimeError.isInstance(error) || error.code !== 'run_not_found') return false;
    runVanished = (await store.contexts.get(spec.contextId).catch(() => undefined)) === undefined;
    return runVanished;
  }
  // A provider that caches a prefix only when asked to gets its options on the system message.
  const systemMessage: SystemModelMessage[] =
    prompt.system === undefined
      ? []
      : [{ role: 'system', content: prompt.system, ...(model.systemMessageProviderOptions === undefined ? {} : { providerOptions: model.systemMessageProviderOptions }) }];
  // Only with tools: OpenAI refuses parallel_tool_calls in a request without any.
  const parallelToolCalls = spec.tools === undefined || spec.parallelToolCalls === undefined ? undefined : parallelToolCallsOptions(model.provider, spec.parallelToolCalls);
  const callOptions = {
    model: recordingModel,
    messages: [...systemMessage, ...prompt.messages],
    // Our own instructions, and a proxy caller's own system messages: not injected content.
    allowSystemInMessages: true,
    maxRetries: 0,
    maxOutputTokens: callSettings.maxOutputTokens,
    providerOptions: mergeProviderOptions(callSettings.providerOptions, parallelToolCalls),
    // One model call: tools have no `execute`, so a tool call ends the step and goes back to the caller.
    stopWhen: stepCountIs(1),
    ...withoutUndefined({
      tools: spec.tools,
      toolChoice: spec.toolChoice,
      temperature: spec.temperature,
      topP: spec.topP,
      seed: spec.seed,
      stopSequences: spec.stopSequences,
    }),
  };

  const outcome = (
    usage: Usage,
    latencyMs: number,
    cache: { hit: boolean | null; timeToFirstTokenMs: number | null },
    finish: { finishReason: string; rawFinishReason: string | undefined },
  ): TestTimeOutcome => ({
    runId: run.id,
    contextId: spec.contextId,
    fresh,
    learnedContextId: learned?.id ?? null,
    learnedSourceVersion: learned?.sourceVersion ?? null,
    contextVersion: context.version,
    usage,
    latencyMs,
    prefixCacheHit: cache.hit,
    timeToFirstTokenMs: cache.timeToFirstTokenMs,
    finishReason: finish.finishReason,
    truncated: finish.finishReason === 'length',
    truncatedBy: truncationLimit(finish.finishReason, finish.rawFinishReason),
  });

  /** Completes the run with the answer; a store failure fails it instead. */
  async function settle(unsettled: Omit<TestTimeAnswer, 'final'>): Promise<TestTimeAnswer> {
    const final = unsettled.toolCalls.length === 0 ? extractFinalAnswer(unsettled.text, { announcedOnly: unsettled.outcome.truncated }) : null;
    const answer = { ...unsettled, final };
    const { outcome: result } = answer;
    if (runVanished) return answer;
    try {
      await storeCall('complete the run', () =>
        store.runs.complete(run.id, {
          usage: result.usage,
          answer: recordedAnswer(answer.text, answer.toolCalls),
          final: answer.final,
          ...(fresh === null ? {} : { fresh }),
          learnedContextId: result.learnedContextId,
          prefixCacheHit: result.prefixCacheHit,
          timeToFirstTokenMs: result.timeToFirstTokenMs,
          finishReason: result.finishReason,
          truncatedBy: result.truncatedBy,
        }),
      );
    } catch (error) {
      if (await vanished(error)) return answer;
      throw await fail(error);
    }
    return answer;
  }

  /**
   * Fails the run with what it spent. `streamedPieces`: output pieces a stream delivered before it was
   * cut; when the provider never reported the call's usage, they are the tokens known so far (about
   * one token a piece), marked partial.
   */
  async function fail(error: unknown, streamedPieces = 0): Promise<SleeptimeError> {
    const failure = modelFailure(error, spec.failureCode, spec.what, spec.signal);
    if (calls.length === 0 && streamedPieces > 0) {
      await deps.failRun(run.id, failure, { inputTokens: 0, outputTokens: streamedPieces, reasoningTokens: 0 }, { usagePartial: true });
    } else {
      await deps.failRun(run.id, failure, spent());
    }
    return failure;
  }

  return {
    run,
    context,
    learned,
    fresh,
    async generate() {
      const startedAt = now();
      let answer: Omit<TestTimeAnswer, 'final'>;
      try {
        const result = await generateText({ ...callOptions, abortSignal: spec.signal });
        answer = {
          outcome: outcome(
            spent(),
            Math.max(0, now() - startedAt),
            prefixCacheOf(result.providerMetadata, result.usage.inputTokenDetails?.cacheReadTokens),
            { finishReason: result.finishReason, rawFinishReason: result.rawFinishReason },
          ),
          text: result.text,
          // Calls the provider ran itself (none of the caller's tools) are not the caller's to answer.
          toolCalls: result.toolCalls
            .filter((call) => call.providerExecuted !== true)
            .map((call) => ({ id: call.toolCallId, name: call.toolName, arguments: toolCallArguments(call) })),
        };
      } catch (error) {
        throw await fail(error);
      }
      return settle(answer);
    },
    stream() {
      return streamCall();
    },
  };

  async function* streamCall(): AsyncGenerator<TestTimeStreamEvent<TestTimeAnswer>> {
    // Our own controller: a consumer that stops reading (a client that hung up) stops the model too.
    const abort = new AbortController();
    const signal = spec.signal === undefined ? abort.signal : AbortSignal.any([spec.signal, abort.signal]);
    const startedAt = now();
    let settled = false;
    let pieces = 0;
    let firstPieceAt: number | undefined;
    let text = '';
    let finish: { finishReason: string; rawFinishReason: string | undefined } = { finishReason: 'unknown', rawFinishReason: undefined };
    let cache = { hit: null as boolean | null, timeToFirstTokenMs: null as number | null };
    // Tool calls by id, in the order they started.
    const toolCalls = new Map<string, ChatToolCall & { index: number; streamed: boolean }>();
    const firstPiece = () => {
      firstPieceAt ??= now();
    };
    const piece = () => {
      firstPiece();
      pieces += 1;
    };
    try {
      const result = streamText({ ...callOptions, abortSignal: signal, onError: () => undefined });
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          if (part.text === '') continue;
          piece();
          text += part.text;
          yield { type: 'text-delta', text: part.text };
        } else if (part.type === 'tool-input-start' && part.providerExecuted !== true) {
          firstPiece();
          const call = { id: part.id, name: part.toolName, arguments: '', index: toolCalls.size, streamed: false };
          toolCalls.set(part.id, call);
          yield { type: 'tool-call-start', index: call.index, id: call.id, name: call.name };
        } else if (part.type === 'tool-input-delta') {
          const call = toolCalls.get(part.id);
          if (call === undefined || part.delta === '') continue;
          piece();
          call.arguments += part.delta;
          call.streamed = true;
          yield { type: 'tool-call-delta', index: call.index, argumentsDelta: part.delta };
        } else if (part.type === 'tool-call' && part.providerExecuted !== true) {
          // The complete call. Providers that stream no input pieces send only this: the call goes
          // out whole. A call streamed with no arguments gets them now.
          const argumentsText = toolCallArguments(part);
          let call = toolCalls.get(part.toolCallId);
          if (call === undefined) {
            firstPiece();
            call = { id: part.toolCallId, name: part.toolName, arguments: '', index: toolCalls.size, streamed: false };
            toolCalls.set(call.id, call);
            yield { type: 'tool-call-start', index: call.index, id: call.id, name: call.name };
          }
          if (!call.streamed) {
            call.arguments = argumentsText;
            call.streamed = true;
            yield { type: 'tool-call-delta', index: call.index, argumentsDelta: argumentsText };
          }
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'finish-step') {
          cache = prefixCacheOf(part.providerMetadata, part.usage.inputTokenDetails?.cacheReadTokens);
        } else if (part.type === 'finish') {
          finish = { finishReason: part.finishReason, rawFinishReason: part.rawFinishReason };
        }
      }
      // An aborted stream ends without an error part: it is a cancellation, not an answer.
      if (signal.aborted) throw abortedError(spec.what, signal.reason);
      const measured = firstPieceAt === undefined ? null : Math.max(0, firstPieceAt - startedAt);
      const answer = await settle(
        {
          outcome: outcome(spent(), Math.max(0, now() - startedAt), { hit: cache.hit, timeToFirstTokenMs: cache.timeToFirstTokenMs ?? measured }, finish),
          text,
          toolCalls: [...toolCalls.values()].map(({ id, name, arguments: args }) => ({ id, name, arguments: args })),
        },
      );
      settled = true;
      yield { type: 'finish', result: answer };
    } catch (error) {
      if (settled) throw error;
      settled = true;
      throw await fail(error, pieces);
    } finally {
      if (!settled) {
        // The consumer stopped reading before the end: stop the model and record the cancellation.
        abort.abort();
        settled = true;
        await fail(abortedError(spec.what, undefined), pieces);
      }
    }
  }
}

/** The stream of a prepared call, with its answer turned into the caller's result. */
export function mapStream<Result>(
  prepared: PreparedTestTimeCall,
  contextId: string,
  toResult: (answer: TestTimeAnswer) => Result,
): TestTimeStream<Result> {
  async function* events(): AsyncGenerator<TestTimeStreamEvent<Result>> {
    for await (const event of prepared.stream()) {
      yield event.type === 'finish' ? { type: 'finish', result: toResult(event.result) } : event;
    }
  }
  return {
    runId: prepared.run.id,
    contextId,
    fresh: prepared.fresh,
    learnedSourceVersion: prepared.learned?.sourceVersion ?? null,
    contextVersion: prepared.context.version,
    events: events(),
  };
}
