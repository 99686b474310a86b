/**
 * One measured run of the worker-scaling benchmark: a fresh PostgreSQL database, `sleeptime serve
 * --workers 0` (it only takes requests and enqueues), one tenant per job, N `sleeptime worker`
 * processes, then M on-demand sleeps requested at once over HTTP and timed until the last job
 * succeeded. Every job must succeed and every context must end with exactly one learned context:
 * anything else is an error of the benchmark, never a figure.
 */
import { openStore, type JobRecord, type Store } from '@sleeptime/core';
import { createPostgresTestLocation, type TestStoreLocation } from '@sleeptime/core/testing';
import { issueApiKey, type JobQueueKind } from '@sleeptime/service';
import { benchContextText } from '../service/bench-fixtures.js';
import { benchModelSpec } from '../service/bench-upstream.js';
import { median } from '../shared/latency-statistics.js';
import { startCliProcess, type CliProcess } from './cli-process.js';
import { busyShare, machineCpuTimes, processCpuMs } from './cpu-readings.js';
import type { DelayedUpstreamStats } from './delayed-upstream-process.js';

/** A sleep run against the scripted upstream: `rethink_memory`, `finish_rethinking`, then the prefix warm-up. */
export const upstreamCallsPerJob = 3;

/** Every tenant's context has this name (stored as `<tenant id>.notes`). */
const contextName = 'notes';
const pollIntervalMs = 100;

export interface ScalingRunOptions {
  /** A PostgreSQL URL whose role may create databases; each run gets a new database beside it. */
  serverUrl: string;
  upstreamBaseUrl: string;
  upstream: { reset(): Promise<void>; stats(): Promise<DelayedUpstreamStats> };
  queue: JobQueueKind;
  workers: number;
  jobs: number;
  timeoutMs: number;
  progress: (line: string) => void;
}

export interface ScalingRunResult {
  queue: JobQueueKind;
  workers: number;
  jobs: number;
  /** From just before the first sleep request to the moment the last job was marked succeeded. */
  seconds: number;
  jobsPerSecond: number;
  /** Time to send all the sleep requests and read their 202 answers. */
  enqueueMs: number;
  /** Jobs each worker process ran, from their logs. */
  jobsPerWorker: number[];
  /** Median over jobs of the time from its run's start to its job's success (the model calls and the bookkeeping). */
  jobMs: number;
  /** Median over workers of the time from the request of the first job a worker ran (in the warm-up) to its success. */
  firstJobMs: number;
  /** Worker processes' CPU time over the measured span, divided by the jobs; undefined without /proc. */
  workerCpuMsPerJob: number | undefined;
  /** Share of all the machine's cores busy during the measured span (every process, not only ours). */
  machineBusy: number | undefined;
  upstream: DelayedUpstreamStats;
}

interface Tenant {
  key: string;
  contextId: string;
}

/** Warm-up batches tried before a worker that never gets a job is an error. */
const maxWarmUpBatches = 3;

async function createTenants(store: Store, namePrefix: string, count: number): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  for (let index = 0; index < count; index += 1) {
    const issued = await issueApiKey(store, { tenantName: `${namePrefix}-${index}`, label: 'worker-scaling benchmark' });
    tenants.push({ key: issued.key, contextId: `${issued.tenant.id}.${contextName}` });
  }
  return tenants;
}

const succeededLine = /^job (\S+) \(context .*, attempt \d+\) succeeded/gm;

/** Sleep jobs a worker has logged as succeeded so far. */
function succeededJobs(worker: CliProcess): number {
  return [...worker.stderr().matchAll(succeededLine)].length;
}

/**
 * For each worker, the time from the request of the first job it ran (a warm-up batch is requested
 * at once) to that job's success: the pick-up plus the process's first sleep.
 */
async function firstJobTimes(store: Store, workers: CliProcess[], requestedAt: Map<string, number>): Promise<number[]> {
  return Promise.all(
    workers.map(async (worker) => {
      const jobId = [...worker.stderr().matchAll(succeededLine)][0]?.[1] ?? '';
      const job = await store.jobs.get(jobId);
      const requested = requestedAt.get(jobId);
      if (job === undefined || requested === undefined) throw new Error(`${worker.label}'s first job ${jobId} is not a warm-up job in the store`);
      return job.updatedAt.getTime() - requested;
    }),
  );
}

export async function runScalingRun(options: ScalingRunOptions): Promise<ScalingRunResult> {
  const { progress } = options;
  let location: TestStoreLocation | undefined;
  let store: Store | undefined;
  const processes: CliProcess[] = [];
  try {
    location = await createPostgresTestLocation(options.serverUrl, 'bench_workers');
    if (location.config.kind !== 'postgres') throw new Error('expected a PostgreSQL location');
    const databaseUrl = location.config.url;
    store = await openStore(location.config);
    const openedStore = store;

    // One tenant per job: the default cap of one running sleep per tenant then never holds a job back,
    // while the workers still take the capped claim path they take in production. The warm-up
    // tenants' contexts are slept on before the measurement, in batches of twice the workers.
    const warmUpBatch = 2 * options.workers;
    const tenants = await createTenants(openedStore, 'bench', options.jobs);
    const warmUpTenants = await createTenants(openedStore, 'warm-up', warmUpBatch * maxWarmUpBatches);

    const env = { SLEEPTIME_DATABASE_URL: databaseUrl, SLEEPTIME_MODEL: benchModelSpec, SLEEPTIME_BASE_URL: options.upstreamBaseUrl };
    const queueFlag = ['--queue', options.queue];
    // The writes' own sleeps are due an hour later: only the on-demand sleeps run.
    const serve = startCliProcess('serve', ['serve', '--port', '0', '--workers', '0', '--quiet-period-ms', '3600000', ...queueFlag], env);
    processes.push(serve);
    const serviceUrl = (await serve.waitForStdout(/sleeptime serving on (http:\/\/127\.0\.0\.1:\d+) /))[1] ?? '';
    const call = (tenant: Tenant, method: string, path: string, body: unknown) =>
      fetch(`${serviceUrl}${path}`, { method, headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const tenant of [...tenants, ...warmUpTenants]) {
      const put = await call(tenant, 'PUT', `/v1/contexts/${contextName}`, { text: benchContextText });
      if (put.status !== 201) throw new Error(`PUT context answered ${put.status}: ${await put.text()}`);
    }
    /** Asks for every tenant's sleep at once; resolves with the job ids once all are accepted. */
    const sleepAll = (group: Tenant[]) =>
      Promise.all(
        group.map(async (tenant) => {
          const queued = await call(tenant, 'POST', `/v1/contexts/${contextName}/sleep`, {});
          if (queued.status !== 202) throw new Error(`POST sleep answered ${queued.status}: ${await queued.text()}`);
          return ((await queued.json()) as { jobId: string }).jobId;
        }),
      );

    const workers = Array.from({ length: options.workers }, (_, index) =>
      startCliProcess(`worker ${index + 1}`, ['worker', '--concurrency', '1', ...queueFlag], env),
    );
    processes.push(...workers);
    for (const worker of workers) {
      const ready = await worker.waitForStdout(/sleeptime worker \d+ running sleep jobs .*; (\w+) job queue; concurrency 1\)/);
      if (ready[1] !== options.queue) throw new Error(`${worker.label} runs the ${ready[1]} queue, expected ${options.queue}`);
    }
    const workerLogs = () => workers.map((worker) => `${worker.label} stderr:\n${worker.stderr()}`).join('\n');

    // Warm-up: a worker loads the model layer (the AI SDK, the provider) on its first sleep, once per
    // process; every worker runs at least one sleep before the timed window, as a long-lived worker has.
    const warmUpRequestedAt = new Map<string, number>();
    for (let batch = 0; workers.some((worker) => succeededJobs(worker) === 0); batch += 1) {
      if (batch === maxWarmUpBatches) throw new Error(`after ${batch} warm-up batches, workers ran ${workers.map(succeededJobs).join('/')} sleeps: one ran none\n${workerLogs()}`);
      const requestedAt = Date.now();
      const warmUpIds = await sleepAll(warmUpTenants.slice(batch * warmUpBatch, (batch + 1) * warmUpBatch));
      for (const jobId of warmUpIds) warmUpRequestedAt.set(jobId, requestedAt);
      await waitForJobs(openedStore, warmUpIds, Date.now() + options.timeoutMs, workerLogs);
      await waitForLoggedJobs(workers, (batch + 1) * warmUpBatch);
    }
    const warmUpJobs = workers.map(succeededJobs);
    const firstJobMs = await firstJobTimes(openedStore, workers, warmUpRequestedAt);
    progress(`  ${options.queue}, ${options.workers} worker(s) ready and warmed up (pids ${workers.map((worker) => worker.pid).join(', ')}; warm-up sleeps ${warmUpJobs.join('/')})`);

    await options.upstream.reset();
    const cpuBefore = await Promise.all(workers.map((worker) => processCpuMs(worker.pid)));
    const machineBefore = await machineCpuTimes();
    const startedAt = Date.now();
    const jobIds = await sleepAll(tenants);
    const enqueueMs = Date.now() - startedAt;

    const finished = await waitForJobs(openedStore, jobIds, startedAt + options.timeoutMs, workerLogs);
    const cpuAfter = await Promise.all(workers.map((worker) => processCpuMs(worker.pid)));
    const machineAfter = await machineCpuTimes();
    const upstream = await options.upstream.stats();
    const endedAt = Math.max(...finished.map((job) => job.updatedAt.getTime()));

    const jobMs = await verifyOutcome(openedStore, finished, tenants);
    // More would mean retried calls, which this benchmark does not expect.
    if (upstream.calls !== upstreamCallsPerJob * options.jobs) throw new Error(`the upstream got ${upstream.calls} calls for ${options.jobs} jobs, expected ${upstreamCallsPerJob} each`);
    const seconds = (endedAt - startedAt) / 1000;
    await waitForLoggedJobs(workers, warmUpJobs.reduce((sum, count) => sum + count, 0) + options.jobs);
    const jobsPerWorker = workers.map((worker, index) => succeededJobs(worker) - (warmUpJobs[index] ?? 0));
    const cpuSpent = cpuBefore.every((value) => value !== undefined) && cpuAfter.every((value) => value !== undefined)
      ? cpuAfter.reduce<number>((sum, value, index) => sum + (value ?? 0) - (cpuBefore[index] ?? 0), 0)
      : undefined;
    return {
      queue: options.queue,
      workers: options.workers,
      jobs: options.jobs,
      seconds,
      jobsPerSecond: options.jobs / seconds,
      enqueueMs,
      jobsPerWorker,
      jobMs,
      firstJobMs: median(firstJobMs),
      workerCpuMsPerJob: cpuSpent === undefined ? undefined : cpuSpent / options.jobs,
      machineBusy: busyShare(machineBefore, machineAfter),
      upstream,
    };
  } finally {
    await Promise.all(processes.map((running) => running.stop()));
    await store?.close();
    await location?.remove();
  }
}

/** A worker logs a job's success just after recording it: waits until the logs show `total` successes. */
async function waitForLoggedJobs(workers: CliProcess[], total: number): Promise<void> {
  const logged = () => workers.reduce((sum, worker) => sum + succeededJobs(worker), 0);
  const deadline = Date.now() + 5_000;
  while (logged() < total) {
    if (Date.now() > deadline) throw new Error(`the workers logged ${workers.map(succeededJobs).join(' + ')} succeeded jobs, expected ${total}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (logged() > total) throw new Error(`the workers logged ${workers.map(succeededJobs).join(' + ')} succeeded jobs, expected ${total}`);
}

/** Polls the store until every job is finished; a failed job, or the deadline, is an error. */
async function waitForJobs(store: Store, jobIds: string[], deadline: number, details: () => string): Promise<JobRecord[]> {
  const done = new Map<string, JobRecord>();
  for (;;) {
    for (const jobId of jobIds) {
      if (done.has(jobId)) continue;
      const job = await store.jobs.get(jobId);
      if (job === undefined) throw new Error(`job ${jobId} is not in the store`);
      if (job.status === 'failed') throw new Error(`job ${jobId} failed: ${job.error?.code}: ${job.error?.message}\n${details()}`);
      if (job.status === 'succeeded') done.set(jobId, job);
      // Jobs finish roughly in the order they were enqueued: stop at the first one still going.
      else break;
    }
    if (done.size === jobIds.length) return jobIds.map((jobId) => done.get(jobId)!);
    if (Date.now() > deadline) throw new Error(`${jobIds.length - done.size} of ${jobIds.length} jobs still unfinished at the deadline\n${details()}`);
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

/**
 * Every job succeeded on its first attempt with one succeeded sleep run, and every context has exactly
 * one learned context. Returns the median time from a job's run start to the job's success.
 */
async function verifyOutcome(store: Store, jobs: JobRecord[], tenants: Tenant[]): Promise<number> {
  const expected = new Set(tenants.map((tenant) => tenant.contextId));
  const jobTimes: number[] = [];
  for (const job of jobs) {
    if (!expected.delete(job.contextId)) throw new Error(`job ${job.id} is for an unexpected or repeated context ${job.contextId}`);
    if (job.status !== 'succeeded' || job.attempts !== 1) throw new Error(`job ${job.id} is ${job.status} after ${job.attempts} attempt(s), expected succeeded after 1`);
    const runs = (await store.runs.list(job.contextId)).filter((run) => run.kind === 'sleep');
    if (runs.length !== 1 || runs[0]?.status !== 'succeeded' || runs[0].id !== job.runId) {
      throw new Error(`context ${job.contextId} has sleep runs ${JSON.stringify(runs.map((run) => [run.id, run.status]))}, expected one succeeded run ${job.runId}`);
    }
    const learned = await store.learned.history(job.contextId);
    if (learned.length !== 1) throw new Error(`context ${job.contextId} has ${learned.length} learned contexts, expected 1`);
    jobTimes.push(job.updatedAt.getTime() - runs[0].startedAt.getTime());
  }
  if (expected.size > 0) throw new Error(`no job for ${expected.size} context(s)`);
  return median(jobTimes);
}
