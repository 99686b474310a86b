/**
 * Graphile Worker delivery in one process, on a real PostgreSQL database: debounced writes make one
 * delivery and one run, a failed attempt is delivered again after its backoff, and a stopped worker
 * hands its job back to the queue. The multi-process crash test is `scale-out.test.ts`.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '@sleeptime/core';
import { finish, rethink, scriptedLanguageModel, testModel, type ScriptStep } from '@sleeptime/core/testing';
import { openStore } from '@sleeptime/core';
import { createPostgresTestLocation, postgresTestSettings, postgresTestUrlVariable, requirePostgresVariable, type TestStoreLocation } from '@sleeptime/core/testing';
import type { JobRecord, Store } from '@sleeptime/core';
import { waitFor } from '@sleeptime/core/testing';
import { graphileWorkerIdOf, leaseOwnerFor } from './graphile-queue.js';
import { startSleepJobProcessing, type SleepJobProcessing } from './job-processing.js';
import type { JobOutcome } from './job-runner.js';
import { createSleepTriggers } from './sleep-triggers.js';

const postgres = postgresTestSettings();
const tokens = { input: 10, output: 5 };

if (postgres.url === undefined && postgres.required) {
  describe('graphile queue on postgres', () => {
    it(`has a database because ${requirePostgresVariable}=1`, () => {
      expect.fail(`${requirePostgresVariable}=1 but ${postgresTestUrlVariable} is not set`);
    });
  });
}

describe('lease owners name the Graphile worker', () => {
  it('round-trips the Graphile worker id through the lease owner', () => {
    expect(graphileWorkerIdOf(leaseOwnerFor('worker-abc123'))).toBe('worker-abc123');
    expect(graphileWorkerIdOf('host:42:deadbeef')).toBeUndefined();
    expect(graphileWorkerIdOf(null)).toBeUndefined();
  });
});

describe.skipIf(postgres.url === undefined)('graphile queue on postgres', () => {
  let location: TestStoreLocation;
  let store: Store;
  let url: string;
  const running: SleepJobProcessing[] = [];

  beforeEach(async () => {
    location = await createPostgresTestLocation(postgres.url ?? '', 'graphile');
    if (location.config.kind !== 'postgres') throw new Error('expected PostgreSQL');
    url = location.config.url;
    store = await openStore(location.config);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((processing) => processing.stop()));
    await store.close();
    await location.remove();
  });

  async function start(script: ScriptStep[], options: { workers?: number; onJobSettled?: (outcome: JobOutcome) => void; maxSleepTokensPerTenantPerDay?: number; maxSleepsPerTenant?: number } = {}) {
    const engine = createEngine({ store, model: testModel(scriptedLanguageModel(script)) });
    const processing = await startSleepJobProcessing({
      store,
      engine,
      queue: 'graphile',
      connectionString: url,
      workers: options.workers ?? 1,
      leaseMs: 2000,
      ...(options.onJobSettled === undefined ? {} : { onJobSettled: options.onJobSettled }),
      ...(options.maxSleepTokensPerTenantPerDay === undefined ? {} : { maxSleepTokensPerTenantPerDay: options.maxSleepTokensPerTenantPerDay }),
      ...(options.maxSleepsPerTenant === undefined ? {} : { maxSleepsPerTenant: options.maxSleepsPerTenant }),
    });
    running.push(processing);
    return processing;
  }

  async function deliveries(): Promise<{ key: string; run_at: Date }[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ key: string; run_at: Date }>('select key, run_at from graphile_worker.jobs order by id')).rows;
    } finally {
      await client.end();
    }
  }

  it('turns a burst of writes into one delivery and one run after the quiet period', async () => {
    const outcomes: JobOutcome[] = [];
    const processing = await start([rethink('memory of write 4', tokens), finish(tokens)], { onJobSettled: (outcome) => outcomes.push(outcome) });
    const triggers = createSleepTriggers({ jobs: store.jobs, quietPeriodMs: 400, onEnqueued: (job) => processing.onEnqueued(job) });
    let last: JobRecord | undefined;
    for (let write = 0; write < 5; write += 1) {
      await store.contexts.put({ id: 'notes', text: `write ${write}` });
      last = await triggers.afterWrite('notes', 'put');
    }
    const pending = await deliveries();
    expect(pending.map((delivery) => delivery.key)).toEqual(['sleep:notes']);
    // The one delivery was moved to the last write's time.
    expect(pending[0]?.run_at.getTime()).toBe(last?.runAfter.getTime());

    await waitFor('the run', async () => (outcomes.length > 0 ? outcomes : undefined));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded']);
    expect(await store.runs.list('notes')).toHaveLength(1);
    expect((await store.learned.latest('notes'))?.sourceVersion).toBe(5);
    await waitFor('no delivery left', async () => ((await deliveries()).length === 0 ? true : undefined));
  });

  it('delivers a failed attempt again after its backoff, and the retry publishes', async () => {
    const outcomes: JobOutcome[] = [];
    const processing = await start([new Error('upstream hiccup'), rethink('memory of the context', tokens), finish(tokens)], { onJobSettled: (outcome) => outcomes.push(outcome) });
    await store.contexts.put({ id: 'notes', text: 'text' });
    const triggers = createSleepTriggers({ jobs: store.jobs, onEnqueued: (job) => processing.onEnqueued(job) });
    const job = await triggers.onDemand('notes');
    await waitFor('two attempts', async () => (outcomes.length >= 2 ? outcomes : undefined));
    expect(outcomes.map((outcome) => `${outcome.status}#${outcome.job.attempts}`)).toEqual(['retrying#1', 'succeeded#2']);
    expect(await store.jobs.get(job.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await store.learned.history('notes')).toHaveLength(1);
  });

  it("delivers a job deferred by its tenant's sleep-time tokens of the day again at the next 00:00 UTC, with no model call", async () => {
    const outcomes: JobOutcome[] = [];
    // An empty script: any model call would fail the job instead of deferring it.
    const processing = await start([], { onJobSettled: (outcome) => outcomes.push(outcome), maxSleepTokensPerTenantPerDay: 50 });
    const today = new Date().toISOString().slice(0, 10);
    await store.sleepTokens.add({ tenant: 't1.', day: today, tokens: 50 });
    await store.contexts.put({ id: 't1.notes', text: 'text' });
    const triggers = createSleepTriggers({ jobs: store.jobs, onEnqueued: (job) => processing.onEnqueued(job) });
    const job = await triggers.onDemand('t1.notes');
    await waitFor('the attempt', async () => (outcomes.length > 0 ? outcomes : undefined));
    const midnight = new Date(`${today}T00:00:00.000Z`).getTime() + 86_400_000;
    expect(outcomes.map((outcome) => `${outcome.status}:${outcome.error?.code}`)).toEqual(['deferred:sleep_token_limit']);
    expect(await store.jobs.get(job.id)).toMatchObject({ status: 'pending', attempts: 0, runAfter: new Date(midnight), error: { code: 'sleep_token_limit' } });
    expect(await store.runs.list('t1.notes')).toEqual([]);
    const pending = await waitFor('the delivery at midnight', async () => {
      const found = (await deliveries()).find((delivery) => delivery.key === 'sleep:t1.notes');
      return found?.run_at.getTime() === midnight ? found : undefined;
    });
    expect(pending.run_at.getTime()).toBe(midnight);
  });

  it('hands the job in flight back to the queue when a worker stops, and another worker finishes it', async () => {
    let started: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    // The first worker's model call waits until it is aborted.
    const slow: ScriptStep = (options) => {
      started();
      return new Promise((_, reject) => options.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))));
    };
    const first = await start([slow]);
    await store.contexts.put({ id: 'notes', text: 'text' });
    const triggers = createSleepTriggers({ jobs: store.jobs, onEnqueued: (job) => first.onEnqueued(job) });
    const job = await triggers.onDemand('notes');
    await inFlight;
    await first.stop();
    expect(await store.jobs.get(job.id)).toMatchObject({ status: 'pending', attempts: 1 });

    const outcomes: JobOutcome[] = [];
    await start([rethink('memory of the context', tokens), finish(tokens)], { onJobSettled: (outcome) => outcomes.push(outcome) });
    await waitFor('the second worker to finish the job', async () => (outcomes.length > 0 ? outcomes : undefined));
    expect(outcomes[0]).toMatchObject({ status: 'succeeded', job: { id: job.id, attempts: 2 } });
    expect(await store.learned.history('notes')).toHaveLength(1);
  });

  it("runs one sleep of a tenant at a time across workers (maxSleepsPerTenant 1): its next job waits while another tenant's runs, then is delivered", async () => {
    // Every call names its context by the context's text; a tenant-1 call holds until released.
    const seen: string[] = [];
    const callsOf = new Map<string, number>();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const step: ScriptStep = async (options) => {
      const prompt = JSON.stringify(options.prompt);
      const name = ['text of a', 'text of b', 'text of c'].find((text) => prompt.includes(text)) ?? 'unknown';
      seen.push(name);
      const calls = (callsOf.get(name) ?? 0) + 1;
      callsOf.set(name, calls);
      if (name !== 'text of c') await released;
      return calls === 1 ? rethink(`memory of ${name}`, tokens) : finish(tokens);
    };
    const outcomes: JobOutcome[] = [];
    const processing = await start(Array.from({ length: 12 }, () => step), { workers: 2, maxSleepsPerTenant: 1, onJobSettled: (outcome) => outcomes.push(outcome) });
    const triggers = createSleepTriggers({ jobs: store.jobs, onEnqueued: (job) => processing.onEnqueued(job) });
    for (const [id, text] of [['t1.a', 'text of a'], ['t1.b', 'text of b'], ['t2.c', 'text of c']] as const) await store.contexts.put({ id, text });
    await triggers.onDemand('t1.a');
    await waitFor('the first tenant-1 sleep to call the model', async () => (seen.includes('text of a') ? true : undefined));
    await triggers.onDemand('t1.b');
    await triggers.onDemand('t2.c');
    // The second worker is free, but tenant 1 is at its cap: it takes tenant 2's job.
    await waitFor("tenant 2's sleep to finish", async () => (outcomes.some((outcome) => outcome.job.contextId === 't2.c') ? true : undefined));
    expect(seen).not.toContain('text of b');
    expect((await store.jobs.list('t1.b'))[0]).toMatchObject({ status: 'pending', attempts: 0 });

    release();
    await waitFor('all three sleeps', async () => (outcomes.length >= 3 ? outcomes : undefined));
    expect(outcomes.map((outcome) => `${outcome.job.contextId}:${outcome.status}`).sort()).toEqual(['t1.a:succeeded', 't1.b:succeeded', 't2.c:succeeded']);
    // Tenant 1's second sleep called the model only after its first had finished.
    expect(seen.indexOf('text of b')).toBeGreaterThan(seen.lastIndexOf('text of a'));
  });

  it('refuses the graphile queue without PostgreSQL, in one clear line', async () => {
    const engine = createEngine({ store, model: testModel(scriptedLanguageModel([])) });
    await expect(startSleepJobProcessing({ store: { ...store, kind: 'sqlite' }, engine, queue: 'graphile', workers: 1 })).rejects.toMatchObject({
      code: 'postgres_required',
      category: 'user',
    });
  });
});
