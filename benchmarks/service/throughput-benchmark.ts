/**
 * Asks per second: N clients, each asking again as soon as its previous answer is read, against the
 * service's HTTP server for a fixed time. Concurrency levels are run in rounds, the order rotated per
 * round, so slow phases of a shared machine spread over all of them.
 */
import { benchContextId, benchQuestion } from './bench-fixtures.js';
import { median, summarizeLatencies, type LatencySummary } from '../shared/latency-statistics.js';
import type { ServiceClient } from './service-client.js';

export interface ThroughputOptions {
  concurrencies: readonly number[];
  rounds: number;
  /** Length of one measured run (one concurrency level in one round). */
  seconds: number;
  warmupSeconds: number;
  client: ServiceClient;
  /** CPU time used so far by the service and the upstream processes, in ms. */
  serviceCpuMs: () => Promise<number>;
  upstreamCpuMs: () => Promise<number>;
  progress: (line: string) => void;
}

export interface ThroughputRow {
  concurrency: number;
  asks: number;
  /** asks/s of each round, in round order. */
  asksPerSecondByRound: number[];
  asksPerSecondMedian: number;
  latency: LatencySummary;
  serviceCpuMsPerAsk: number;
  upstreamCpuMsPerAsk: number;
}

interface LoadRun {
  asks: number;
  elapsedMs: number;
  latencies: number[];
}

async function runLoad(client: ServiceClient, concurrency: number, seconds: number): Promise<LoadRun> {
  const latencies: number[] = [];
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const askedAt = performance.now();
      await client.ask(benchContextId, benchQuestion);
      latencies.push(performance.now() - askedAt);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  // Until the last client's last answer: every counted ask finished inside this span.
  return { asks: latencies.length, elapsedMs: performance.now() - startedAt, latencies };
}

export async function runThroughputBenchmark(options: ThroughputOptions): Promise<ThroughputRow[]> {
  const { client, concurrencies } = options;
  const highest = Math.max(...concurrencies);
  options.progress(`throughput: warm-up, ${highest} clients for ${options.warmupSeconds} s`);
  await runLoad(client, highest, options.warmupSeconds);

  const runs = new Map<number, { asksPerSecond: number[]; latencies: number[]; asks: number; serviceCpuMs: number; upstreamCpuMs: number }>();
  for (const concurrency of concurrencies) runs.set(concurrency, { asksPerSecond: [], latencies: [], asks: 0, serviceCpuMs: 0, upstreamCpuMs: 0 });

  for (let round = 0; round < options.rounds; round++) {
    for (let slot = 0; slot < concurrencies.length; slot++) {
      const concurrency = concurrencies[(round + slot) % concurrencies.length]!;
      const serviceCpuBefore = await options.serviceCpuMs();
      const upstreamCpuBefore = await options.upstreamCpuMs();
      const load = await runLoad(client, concurrency, options.seconds);
      const serviceCpu = (await options.serviceCpuMs()) - serviceCpuBefore;
      const upstreamCpu = (await options.upstreamCpuMs()) - upstreamCpuBefore;
      const entry = runs.get(concurrency)!;
      const asksPerSecond = load.asks / (load.elapsedMs / 1000);
      entry.asksPerSecond.push(asksPerSecond);
      entry.latencies.push(...load.latencies);
      entry.asks += load.asks;
      entry.serviceCpuMs += serviceCpu;
      entry.upstreamCpuMs += upstreamCpu;
      options.progress(`throughput: round ${round + 1}/${options.rounds}, ${concurrency} client(s): ${asksPerSecond.toFixed(0)} asks/s`);
    }
  }

  return concurrencies.map((concurrency) => {
    const entry = runs.get(concurrency)!;
    return {
      concurrency,
      asks: entry.asks,
      asksPerSecondByRound: entry.asksPerSecond,
      asksPerSecondMedian: median(entry.asksPerSecond),
      latency: summarizeLatencies(entry.latencies),
      serviceCpuMsPerAsk: entry.serviceCpuMs / entry.asks,
      upstreamCpuMsPerAsk: entry.upstreamCpuMs / entry.asks,
    };
  });
}
