import type { LanguageModelV3, LanguageModelV3StreamPart, LanguageModelV3Usage } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import { usageFromReport, type Usage } from '../models/usage.js';
import type { ModelCallRecord, Phase } from '../store/types.js';

/** One finished model call, with its usage exactly as the provider reported it. */
export interface RecordedModelCall {
  /** Order of the call within the loop that made it, from 0. */
  step: number;
  usage: Usage;
  /** The provider's usage report as the AI SDK received it (including its `raw` part). */
  rawUsage: LanguageModelV3Usage;
  /** The unified finish reason (`tool-calls`, `stop`, `length`...). */
  finishReason: string;
  /** The provider's own finish reason (for the llama model: which limit, e.g. `time-limit`). */
  rawFinishReason?: string | undefined;
  durationMs: number;
}

export function usageFromLanguageModelUsage(usage: LanguageModelV3Usage): Usage {
  return usageFromReport({
    inputTokens: usage.inputTokens.total,
    outputTokens: usage.outputTokens.total,
    outputTokenDetails: { reasoningTokens: usage.outputTokens.reasoning },
  });
}

/**
 * Wraps a model so every call is reported the moment it returns (a stream: when its `finish` part
 * arrives, before it is passed on), before the AI SDK acts on it. Recording at this level (rather
 * than in `onStepFinish`) also catches calls whose step then fails, e.g. a reply without the
 * required tool call, so no token the provider billed goes unrecorded. `onCall` is awaited: a
 * failure to record (store down) fails the call instead of being lost.
 */
export function withCallRecording(
  model: LanguageModelV3,
  options: { now: () => number; onCall: (call: RecordedModelCall) => void | Promise<void> },
): LanguageModelV3 {
  let nextStep = 0;
  /** Starts timing a call; the returned function reports it once its usage is known. */
  const startCall = () => {
    const step = nextStep;
    nextStep += 1;
    const startedAt = options.now();
    return (usage: LanguageModelV3Usage, finishReason: { unified: string; raw?: string | undefined }) =>
      options.onCall({
        step,
        usage: usageFromLanguageModelUsage(usage),
        rawUsage: usage,
        finishReason: finishReason.unified,
        rawFinishReason: finishReason.raw,
        durationMs: Math.max(0, options.now() - startedAt),
      });
  };
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      wrapGenerate: async ({ doGenerate }) => {
        const record = startCall();
        const result = await doGenerate();
        await record(result.usage, result.finishReason);
        return result;
      },
      wrapStream: async ({ doStream }) => {
        const record = startCall();
        const result = await doStream();
        const recordFinish = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
          async transform(part, controller) {
            if (part.type === 'finish') await record(part.usage, part.finishReason);
            controller.enqueue(part);
          },
        });
        return { ...result, stream: result.stream.pipeThrough(recordFinish) };
      },
    },
  });
}

/** A recorded call as the store keeps it, in a run's phase and branch. */
export function toCallRecord(runId: string, phase: Phase, branch: number, call: RecordedModelCall): ModelCallRecord {
  return {
    runId,
    phase,
    branch,
    step: call.step,
    usage: call.usage,
    rawUsage: call.rawUsage,
    finishReason: call.finishReason,
    durationMs: call.durationMs,
  };
}
