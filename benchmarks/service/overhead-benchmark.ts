/**
 * Per-ask overhead: the same question asked of the local upstream directly and through the service
 * (its ask endpoint and its OpenAI-compatible proxy), interleaved call by call so that a noisy
 * neighbour slows every path alike.
 */
import { generateText } from 'ai';
import { buildAskPrompt, defaultAskMaxOutputTokens, defaultChatMaxOutputTokens } from '@sleeptime/core';
import type { SleeptimeModel } from '@sleeptime/core';
import { learnedContextSystemMessage } from '@sleeptime/core';
import { benchContextId, benchContextText, benchQuestion } from './bench-fixtures.js';
import { requireLoopback } from './bench-service.js';
import { median, summarizeLatencies, type LatencySummary } from '../shared/latency-statistics.js';
import type { ServiceClient } from './service-client.js';

export const overheadVariants = ['direct-ask-sdk', 'direct-ask-fetch', 'service-ask', 'direct-proxy-sdk', 'service-proxy'] as const;
export type OverheadVariant = (typeof overheadVariants)[number];

export interface OverheadOptions {
  iterations: number;
  warmup: number;
  client: ServiceClient;
  /** The same model layer the service's engine uses, pointed at the same upstream. */
  model: SleeptimeModel;
  upstreamBaseUrl: string;
  /** Raw bodies of the upstream's latest chat-completions requests, newest last. */
  upstreamRecentBodies: () => Promise<string[]>;
  progress: (line: string) => void;
}

export interface OverheadResult {
  iterations: number;
  warmup: number;
  summaries: Record<OverheadVariant, LatencySummary>;
  /** Median over iterations of (service call − its direct call) within the same iteration. */
  pairedMedianMs: { ask: number; proxy: number; askVersusFetch: number };
  /** Whether the direct call sent the upstream the very bytes the service sent it. */
  identicalUpstreamBody: { ask: boolean; proxy: boolean };
  upstreamBodyBytes: { ask: number; proxy: number };
}

function pairedMedian(service: readonly number[], direct: readonly number[]): number {
  return median(service.map((value, index) => value - direct[index]!));
}

export async function runOverheadBenchmark(options: OverheadOptions): Promise<OverheadResult> {
  const { client, model } = options;
  const learned = await client.learnedText(benchContextId);
  // The output limits the engine sends when the caller sets none (an ask at verbosity 0, a chat).
  const askSettings = model.callSettings({ maxOutputTokens: defaultAskMaxOutputTokens[0] });
  const chatSettings = model.callSettings({ maxOutputTokens: defaultChatMaxOutputTokens });

  // What the engine sends for `ask` (src/engine/engine.ts): instructions, learned and raw context in
  // the system message, verbosity and question in the user message; temperature 0, no SDK retries.
  const askPrompt = buildAskPrompt({ question: benchQuestion, verbosity: 0, learnedContext: learned, contextText: benchContextText });
  const directAskSdk = () =>
    generateText({
      model: model.languageModel,
      system: askPrompt.system,
      messages: [{ role: 'user', content: askPrompt.user }],
      maxRetries: 0,
      maxOutputTokens: askSettings.maxOutputTokens,
      providerOptions: askSettings.providerOptions,
      temperature: 0,
    });
  // What the proxy sends (src/server/openai-proxy.ts): the learned context as a system message before the caller's messages.
  const directProxySdk = () =>
    generateText({
      model: model.languageModel,
      messages: [
        { role: 'system', content: learnedContextSystemMessage(learned) },
        { role: 'user', content: benchQuestion },
      ],
      allowSystemInMessages: true,
      maxRetries: 0,
      maxOutputTokens: chatSettings.maxOutputTokens,
      providerOptions: chatSettings.providerOptions,
    });

  const lastUpstreamBody = async () => {
    const body = (await options.upstreamRecentBodies()).at(-1);
    if (body === undefined) throw new Error('the upstream saw no request');
    return body;
  };

  // Same shape check: each direct call must send the upstream the bytes the service sends it.
  const checkAnswer = (answer: string, what: string) => {
    if (answer.trim() === '') throw new Error(`${what} returned an empty answer`);
  };
  const asked = await client.ask(benchContextId, benchQuestion);
  checkAnswer(asked.answer, 'the ask endpoint');
  if (asked.fresh !== true) throw new Error(`the ask did not use a fresh learned context (fresh: ${String(asked.fresh)})`);
  const serviceAskBody = await lastUpstreamBody();
  checkAnswer((await directAskSdk()).text, 'the direct call');
  const directAskBody = await lastUpstreamBody();
  checkAnswer(await client.chatCompletion(benchContextId, benchQuestion), 'the proxy');
  const serviceProxyBody = await lastUpstreamBody();
  await directProxySdk();
  const directProxyBody = await lastUpstreamBody();

  // A plain fetch of the service's own upstream request, byte for byte: the floor under the SDK call.
  const chatCompletionsUrl = `${requireLoopback(options.upstreamBaseUrl)}/chat/completions`;
  const directAskFetch = async () => {
    const response = await fetch(chatCompletionsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: serviceAskBody });
    if (!response.ok) throw new Error(`the upstream answered ${response.status}`);
    return (await response.json()) as unknown;
  };

  const calls: Record<OverheadVariant, () => Promise<unknown>> = {
    'direct-ask-sdk': directAskSdk,
    'direct-ask-fetch': directAskFetch,
    'service-ask': () => client.ask(benchContextId, benchQuestion),
    'direct-proxy-sdk': directProxySdk,
    'service-proxy': () => client.chatCompletion(benchContextId, benchQuestion),
  };
  const samples = Object.fromEntries(overheadVariants.map((variant) => [variant, [] as number[]])) as Record<OverheadVariant, number[]>;

  const total = options.warmup + options.iterations;
  for (let iteration = 0; iteration < total; iteration++) {
    const measured = iteration >= options.warmup;
    // Rotating the order each iteration keeps any first-call or last-call effect off one variant.
    for (let slot = 0; slot < overheadVariants.length; slot++) {
      const variant = overheadVariants[(iteration + slot) % overheadVariants.length]!;
      const startedAt = performance.now();
      await calls[variant]();
      const elapsed = performance.now() - startedAt;
      if (measured) samples[variant].push(elapsed);
    }
    if ((iteration + 1) % 250 === 0 || iteration + 1 === total) {
      options.progress(`overhead: ${Math.max(0, iteration + 1 - options.warmup)}/${options.iterations} measured iterations (${options.warmup} warm-up)`);
    }
  }

  const summaries = Object.fromEntries(overheadVariants.map((variant) => [variant, summarizeLatencies(samples[variant])])) as Record<
    OverheadVariant,
    LatencySummary
  >;
  return {
    iterations: options.iterations,
    warmup: options.warmup,
    summaries,
    pairedMedianMs: {
      ask: pairedMedian(samples['service-ask'], samples['direct-ask-sdk']),
      proxy: pairedMedian(samples['service-proxy'], samples['direct-proxy-sdk']),
      askVersusFetch: pairedMedian(samples['service-ask'], samples['direct-ask-fetch']),
    },
    identicalUpstreamBody: { ask: serviceAskBody === directAskBody, proxy: serviceProxyBody === directProxyBody },
    upstreamBodyBytes: { ask: Buffer.byteLength(serviceAskBody), proxy: Buffer.byteLength(serviceProxyBody) },
  };
}
