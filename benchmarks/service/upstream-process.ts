/** Child process of the service benchmark: the scripted upstream model on 127.0.0.1. */
import { answerParent, cpuMilliseconds } from './bench-child-process.js';
import { startBenchUpstream, type BenchUpstream } from './bench-upstream.js';

export interface UpstreamReady {
  baseUrl: string;
}

let upstream: BenchUpstream | undefined;

await answerParent<UpstreamReady>({
  async start() {
    upstream = await startBenchUpstream();
    return { baseUrl: upstream.server.baseUrl };
  },
  handlers: {
    'cpu-ms': cpuMilliseconds,
    'recent-bodies': () => upstream?.recentBodies() ?? [],
  },
  stop: async () => {
    await upstream?.server.close();
  },
});
