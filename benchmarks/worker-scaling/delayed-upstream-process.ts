/**
 * Child process of the worker-scaling benchmark: the scripted OpenAI-compatible upstream of
 * `bench:service` (the same canned replies: a sleep run is a `rethink_memory` call, a
 * `finish_rethinking` call, then the one-token prefix warm-up), except that every chat completion
 * waits a fixed delay before it is answered, as a model would take time. The wait is a timer, so the
 * upstream itself costs almost no CPU: the workers wait on it as they would on a remote model.
 */
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '@sleeptime/core/testing';
import { answerParent, childConfig, cpuMilliseconds } from '../service/bench-child-process.js';
import { benchUpstreamReply } from '../service/bench-upstream.js';

export interface DelayedUpstreamConfig {
  delayMs: number;
}

export interface DelayedUpstreamReady {
  baseUrl: string;
}

/** What the upstream saw since the last `reset`. */
export interface DelayedUpstreamStats {
  calls: number;
  /** Most calls waiting at once (arrivals within one delay of each other). */
  peakInFlight: number;
}

const { delayMs } = childConfig<DelayedUpstreamConfig>();
let server: ScriptedOpenAIServer | undefined;
let arrivals: number[] = [];
let calls = 0;
let peakInFlight = 0;

await answerParent<DelayedUpstreamReady>({
  async start() {
    const started: ScriptedOpenAIServer = await startScriptedOpenAIServer((request) => {
      const now = performance.now();
      calls += 1;
      // Every call is answered exactly `delayMs` after it arrived, so the ones still waiting are those
      // that arrived less than `delayMs` ago.
      arrivals = arrivals.filter((arrival) => now - arrival < delayMs);
      arrivals.push(now);
      peakInFlight = Math.max(peakInFlight, arrivals.length);
      // The scripted server keeps every request for tests to inspect; a benchmark does not.
      if (started.requests.length > 256) {
        started.requests.length = 0;
        started.allRequests.length = 0;
      }
      return { ...benchUpstreamReply(request), delayMs };
    });
    server = started;
    return { baseUrl: started.baseUrl };
  },
  handlers: {
    'cpu-ms': cpuMilliseconds,
    stats: (): DelayedUpstreamStats => ({ calls, peakInFlight }),
    reset: () => {
      calls = 0;
      peakInFlight = 0;
      arrivals = [];
    },
  },
  stop: async () => {
    await server?.close();
  },
});
