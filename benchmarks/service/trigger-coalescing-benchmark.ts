/**
 * How many sleep runs do N writes to one context make? Writes go over real HTTP to a fresh service
 * per scenario (its own SQLite store and in-process job worker, as in `sleeptime serve`, with a
 * short quiet period); once the jobs have settled, the store says how many jobs and runs there were.
 * Counts, not times, are the result here, so everything runs in this process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPollIntervalMs } from '@sleeptime/service';
import { startBenchService, type BenchService } from './bench-service.js';
import { startBenchUpstream } from './bench-upstream.js';
import { createServiceClient } from './service-client.js';

export interface TriggerScenario {
  label: string;
  write: 'put' | 'append';
  writes: number;
  /** Pause after each write before the next (0: a burst, as fast as the HTTP round trips go). */
  gapMs: number;
  /** `--sleep-every-appends` (0: off). */
  everyAppends: number;
  /** A longer pause after the first write only, so its sleep run starts before the next writes. */
  pauseAfterFirstWriteMs?: number;
  /** Each sleep-time upstream call takes this long (a run makes two); default instant. */
  sleepStepDelayMs?: number;
  /** What the trigger design predicts, in words. */
  expected: string;
}

export interface TriggerRow {
  scenario: TriggerScenario;
  /** From the first write's start to the last write's answer. */
  writeSpanMs: number;
  jobs: number;
  sleepRuns: number;
  succeeded: number;
  superseded: number;
  otherFailures: number;
  learnedVersions: number;
  freshAtEnd: boolean;
  /** From the last write's answer to the publication of the learned context that is current at the end. */
  lastWriteToFreshMs: number | null;
}

export function defaultTriggerScenarios(quietPeriodMs: number): TriggerScenario[] {
  const burst = (write: 'put' | 'append', writes: number, everyAppends = 0): TriggerScenario => ({
    label: everyAppends > 0 ? `burst, everyAppends ${everyAppends}` : 'burst',
    write,
    writes,
    gapMs: 0,
    everyAppends,
    expected: everyAppends > 0 ? `≤ ${Math.floor(writes / everyAppends)} (one per ${everyAppends} appends)` : '1',
  });
  const spaced = (gapMs: number): TriggerScenario => ({
    label: `spaced, ${gapMs} ms gaps`,
    write: 'append',
    writes: 5,
    gapMs,
    everyAppends: 0,
    expected: gapMs < quietPeriodMs ? '1 (gaps shorter than the quiet period)' : '5 (one per quiet gap)',
  });
  // A write, a quiet gap long enough for its run to start, then a stream of writes closer together
  // than the quiet period while that (slowed-down) run is in flight.
  const writesDuringRun: TriggerScenario = {
    label: `1 write, ${quietPeriodMs * 2} ms pause, then 20 writes ${Math.round(quietPeriodMs / 4)} ms apart; sleep runs take about ${quietPeriodMs * 2} ms`,
    write: 'append',
    writes: 21,
    gapMs: Math.round(quietPeriodMs / 4),
    everyAppends: 0,
    pauseAfterFirstWriteMs: quietPeriodMs * 2,
    sleepStepDelayMs: quietPeriodMs,
    expected: '2 (the run in flight, then one once the writes are quiet)',
  };
  return [
    burst('append', 1),
    burst('append', 10),
    burst('append', 100),
    burst('put', 100),
    burst('append', 100, 10),
    spaced(Math.round(quietPeriodMs / 2)),
    spaced(Math.round(quietPeriodMs * 1.5)),
    spaced(quietPeriodMs * 3),
    writesDuringRun,
  ];
}

const settleTimeoutMs = 60_000;
/** No pending or running job, and the job list unchanged for this long (a superseded run enqueues its follow-up just after finishing). */
export const settleStableMs = 2 * defaultPollIntervalMs;

async function waitUntilSettled(service: BenchService, storedId: string, lastWriteAt: number, quietPeriodMs: number): Promise<void> {
  const deadline = Date.now() + settleTimeoutMs;
  let signature = '';
  let stableSince = Date.now();
  for (;;) {
    const jobs = await service.store.jobs.list(storedId);
    const current = jobs.map((job) => `${job.id}:${job.status}`).join(',');
    if (current !== signature) {
      signature = current;
      stableSince = Date.now();
    }
    const active = jobs.some((job) => job.status === 'pending' || job.status === 'running');
    if (!active && Date.now() - stableSince >= settleStableMs && Date.now() - lastWriteAt >= quietPeriodMs) return;
    if (Date.now() > deadline) throw new Error(`the sleep jobs of ${storedId} did not settle within ${settleTimeoutMs} ms: ${current}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function runScenario(scenario: TriggerScenario, quietPeriodMs: number, sharedUpstreamBaseUrl: string): Promise<TriggerRow> {
  // A scenario with slow sleep runs gets an upstream of its own in this process.
  const slowUpstream = scenario.sleepStepDelayMs === undefined ? undefined : await startBenchUpstream({ sleepStepDelayMs: scenario.sleepStepDelayMs });
  const upstreamBaseUrl = slowUpstream?.server.baseUrl ?? sharedUpstreamBaseUrl;
  const dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-bench-triggers-'));
  const service = await startBenchService({ dataDir, upstreamBaseUrl, quietPeriodMs, everyAppends: scenario.everyAppends });
  try {
    const client = createServiceClient(service.url, service.apiKey);
    const contextId = 'conversation';
    const storedId = `${service.tenant.id}.${contextId}`;
    const firstWriteAt = Date.now();
    let lastWriteAt = firstWriteAt;
    for (let index = 0; index < scenario.writes; index++) {
      if (scenario.write === 'put') await client.put(contextId, `Draft ${index + 1}: the shipment is 6 + ${index} crates.`);
      else await client.append(contextId, `user: turn ${index + 1}, add ${index % 7} crates to the count.`);
      lastWriteAt = Date.now();
      const pauseMs = index === 0 && scenario.pauseAfterFirstWriteMs !== undefined ? scenario.pauseAfterFirstWriteMs : scenario.gapMs;
      if (pauseMs > 0 && index + 1 < scenario.writes) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    await waitUntilSettled(service, storedId, lastWriteAt, quietPeriodMs);

    const jobs = await service.store.jobs.list(storedId);
    const runs = (await service.store.runs.list(storedId)).filter((run) => run.kind === 'sleep');
    const history = await service.store.learned.history(storedId);
    const context = await service.store.contexts.get(storedId);
    const latest = history.at(-1);
    const freshAtEnd = latest !== undefined && context !== undefined && latest.sourceVersion === context.version;
    const superseded = runs.filter((run) => run.status === 'failed' && run.error?.code === 'superseded').length;
    const succeeded = runs.filter((run) => run.status === 'succeeded').length;
    return {
      scenario,
      writeSpanMs: lastWriteAt - firstWriteAt,
      jobs: jobs.length,
      sleepRuns: runs.length,
      succeeded,
      superseded,
      otherFailures: runs.length - succeeded - superseded,
      learnedVersions: history.length,
      freshAtEnd,
      lastWriteToFreshMs: freshAtEnd && latest !== undefined ? latest.createdAt.getTime() - lastWriteAt : null,
    };
  } finally {
    await service.close();
    await slowUpstream?.server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runTriggerBenchmark(options: {
  scenarios: readonly TriggerScenario[];
  quietPeriodMs: number;
  upstreamBaseUrl: string;
  progress: (line: string) => void;
}): Promise<TriggerRow[]> {
  const rows: TriggerRow[] = [];
  for (const scenario of options.scenarios) {
    const row = await runScenario(scenario, options.quietPeriodMs, options.upstreamBaseUrl);
    options.progress(`triggers: ${scenario.writes} ${scenario.write}(s), ${scenario.label}: ${row.jobs} job(s), ${row.sleepRuns} sleep run(s)`);
    rows.push(row);
  }
  return rows;
}
