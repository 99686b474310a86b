/**
 * A streaming ask: the engine's prompt and run bookkeeping, with the answer streamed as it is made.
 * Everything that can be refused (unknown context, budget the provider lacks) is checked before the
 * run row is written and before the first byte, so a refusal is a plain JSON 4xx.
 */
import { streamText } from 'ai';
import { defaultVerbosity, extractFinalAnswer, buildAskPrompt, type Verbosity } from '@sleeptime/core';
import { SleeptimeError, upstreamError, userError } from '@sleeptime/core';
import type { SleeptimeModel } from '@sleeptime/core';
import { usageFromReport, zeroUsage, type Usage } from '@sleeptime/core';
import type { Store } from '@sleeptime/core';

export interface StreamingAskInput {
  contextId: string;
  question: string;
  verbosity?: number;
  effort?: 'low' | 'medium' | 'high';
  thinkingBudget?: number;
  maxTokens?: number;
  useLearned?: boolean;
}

export type StreamingAskEvent =
  | { type: 'delta'; text: string }
  | {
      type: 'done';
      runId: string;
      answer: string;
      final: string | null;
      fresh: boolean | null;
      contextVersion: number;
      learnedSourceVersion: number | null;
      usage: Usage;
      latencyMs: number;
    }
  | { type: 'error'; runId: string; code: string; message: string };

function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

export async function startStreamingAsk(options: {
  store: Store;
  loadModel: () => Promise<SleeptimeModel>;
  input: StreamingAskInput;
  signal?: AbortSignal;
  now?: () => number;
}): Promise<{ runId: string; events: AsyncGenerator<StreamingAskEvent> }> {
  const { store, input } = options;
  const now = options.now ?? Date.now;
  const verbosity = (input.verbosity ?? defaultVerbosity) as Verbosity;
  const useLearned = input.useLearned ?? true;
  const found = await store.contexts.get(input.contextId);
  if (found === undefined) throw userError('context_not_found', `No context with id "${input.contextId}"`);
  const context = found;
  const learned = useLearned ? await store.learned.latest(input.contextId) : undefined;
  const model = await options.loadModel();
  const callSettings = model.callSettings(
    withoutUndefined({ maxOutputTokens: input.maxTokens, effort: input.effort, thinkingBudget: input.thinkingBudget }),
  );
  const fresh = learned === undefined ? null : learned.sourceVersion === context.version;
  const prompt = buildAskPrompt({ question: input.question, verbosity, learnedContext: learned?.text, contextText: context.text });
  const run = await store.runs.start({
    contextId: input.contextId,
    kind: 'ask',
    model: model.spec,
    settings: withoutUndefined({
      verbosity,
      effort: input.effort,
      thinkingBudget: input.thinkingBudget,
      maxOutputTokens: input.maxTokens,
      useLearned,
      includeContext: true,
      temperature: 0,
      stream: true,
    }),
    sourceVersion: context.version,
    question: input.question,
  });

  async function* events(): AsyncGenerator<StreamingAskEvent> {
    const startedAt = now();
    let answer = '';
    let usage: Usage = zeroUsage;
    try {
      const result = streamText({
        model: model.languageModel,
        system: prompt.system,
        messages: [{ role: 'user', content: prompt.user }],
        maxRetries: 0,
        maxOutputTokens: callSettings.maxOutputTokens,
        providerOptions: callSettings.providerOptions,
        temperature: 0,
        abortSignal: options.signal,
        // Errors arrive as stream parts below; the default would also log them.
        onError: () => undefined,
      });
      let finishReason = 'unknown';
      let rawUsage: unknown;
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          answer += part.text;
          yield { type: 'delta', text: part.text };
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'finish') {
          usage = usageFromReport(part.totalUsage);
          rawUsage = part.totalUsage;
          finishReason = part.finishReason;
        }
      }
      const latencyMs = Math.max(0, now() - startedAt);
      await store.runs.recordCall({ runId: run.id, phase: 'test', branch: 0, step: 0, usage, rawUsage, finishReason, durationMs: latencyMs });
      const final = extractFinalAnswer(answer);
      await store.runs.complete(run.id, {
        usage,
        answer,
        final,
        ...(fresh === null ? {} : { fresh }),
        learnedContextId: learned?.id ?? null,
      });
      yield {
        type: 'done',
        runId: run.id,
        answer,
        final,
        fresh,
        contextVersion: context.version,
        learnedSourceVersion: learned?.sourceVersion ?? null,
        usage,
        latencyMs,
      };
    } catch (error) {
      const failure = SleeptimeError.isInstance(error)
        ? error
        : upstreamError('ask_failed', `The ask failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      await store.runs.fail(run.id, { code: failure.code, message: failure.message }, usage).catch(() => undefined);
      yield { type: 'error', runId: run.id, code: failure.code, message: failure.message };
    }
  }

  return { runId: run.id, events: events() };
}
