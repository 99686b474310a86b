/**
 * The benchmark's upstream model: the project's scripted OpenAI-compatible server (real HTTP on
 * 127.0.0.1) answering every request at once with a canned reply, so what is timed is the service
 * and its plumbing, never a model.
 */
import { isPrefixWarmUp } from '@sleeptime/core/testing';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';

/** The model spec the service and the direct calls both use (the name is only sent along). */
export const benchModelSpec = 'openai-compatible:bench-upstream';

export const benchLearnedMemory = [
  'Precomputed: 14 crates arrived in total over the two deliveries (6 + 8).',
  'Precomputed: 5 crates were sent on, so 9 crates remain in the warehouse.',
  'Anticipated question: "How many crates are left?" Answer: 9.',
].join('\n');

export const benchAnswer = 'There are 9 crates left. Final answer: 9';

/**
 * One canned reply per kind of request the service makes: the prefix warm-up after a sleep, the two
 * steps of a sleep run (rewrite the memory, then finish; told apart by whether a tool result is in
 * the conversation yet), and answers.
 */
export function benchUpstreamReply(request: RecordedRequest, options: BenchUpstreamOptions = {}): ScriptedReply {
  if (isPrefixWarmUp(request)) return { text: '.', usage: { prompt_tokens: 1, completion_tokens: 1 } };
  if (request.body.tools !== undefined) {
    const rewritten = (request.body.messages ?? []).some((message) => message.role === 'tool');
    const delay = options.sleepStepDelayMs === undefined ? {} : { delayMs: options.sleepStepDelayMs };
    return rewritten
      ? { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 500, completion_tokens: 3 }, ...delay }
      : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: benchLearnedMemory } }], usage: { prompt_tokens: 450, completion_tokens: 60 }, ...delay };
  }
  // Fixed usage: the scripted server would otherwise stringify the prompt to estimate it.
  return { text: benchAnswer, usage: { prompt_tokens: 600, completion_tokens: 12 } };
}

export interface BenchUpstreamOptions {
  /** Delay of each sleep-time step (a sleep run makes two), so that writes can land while a run is in flight. */
  sleepStepDelayMs?: number;
}

export interface BenchUpstream {
  server: ScriptedOpenAIServer;
  /** Raw bodies of the latest chat-completions requests, newest last (a few only). */
  recentBodies(): string[];
}

const keptBodies = 16;

export async function startBenchUpstream(options: BenchUpstreamOptions = {}): Promise<BenchUpstream> {
  const recent: string[] = [];
  // The script runs only on requests, so after `server` is assigned.
  const server: ScriptedOpenAIServer = await startScriptedOpenAIServer((request) => {
    recent.push(request.rawBody);
    if (recent.length > keptBodies) recent.shift();
    // The scripted server keeps every request for tests to inspect; tens of thousands of asks would
    // make that a memory leak that slows the upstream down as the run goes on.
    if (server.requests.length > 256) {
      server.requests.length = 0;
      server.allRequests.length = 0;
    }
    return benchUpstreamReply(request, options);
  });
  return { server, recentBodies: () => [...recent] };
}
