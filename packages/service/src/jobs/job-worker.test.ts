import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '@sleeptime/core';
import { delay, finish, rethink, scriptedLanguageModel, testModel, type ScriptStep } from '@sleeptime/core/testing';
import { openStore } from '@sleeptime/core';
import { createSqliteTestLocation, type TestStoreLocation } from '@sleeptime/core/testing';
import type { Store } from '@sleeptime/core';
import { createJobWorker, type JobWorkerOptions } from './job-worker.js';
import { createSleepTriggers } from './sleep-triggers.js';

const tokens = { input: 10, output: 5 };
let location: TestStoreLocation;
let store: Store;
/** The injected clock, in ms since 2030-01-01. */
let clock = 0;
const now = () => new Date(Date.UTC(2030, 0, 1) + clock);

beforeEach(async () => {
  location = await createSqliteTestLocation('jobs');
  store = await openStore(location.config);
  clock = 0;
});

afterEach(async () => {
  await store.close();
  await location.remove();
});

function workerWith(script: ScriptStep[], options: Partial<JobWorkerOptions> = {}) {
  const model = testModel(scriptedLanguageModel(script));
  const worker = createJobWorker({ store, engine: createEngine({ store, model }), now, owner: 'worker', leaseMs: 1000, retryBaseDelayMs: 1000, ...options });
  return { worker, model };
}

describe('sleep triggers and the job worker', () => {
  it('debounces and coalesces: many writes make one job and one run, due a quiet period after the last write', async () => {
    const triggers = createSleepTriggers({ jobs: store.jobs, quietPeriodMs: 1000, now });
    for (let write = 0; write < 5; write += 1) {
      clock = write * 100;
      await store.contexts.put({ id: 'notes', text: `text ${write}` });
      await triggers.afterWrite('notes', 'put');
    }
    expect(await store.jobs.list('notes')).toHaveLength(1);
    const { worker, model } = workerWith([rethink('memory of text 4', tokens), finish(tokens)]);
    clock = 1399;
    expect(await worker.runOnce()).toBeUndefined();
    clock = 1400;
    expect(await worker.runOnce()).toMatchObject({ status: 'succeeded' });
    expect(await worker.runOnce()).toBeUndefined();
    expect(model.languageModel.doGenerateCalls).toHaveLength(2);
    const runs = await store.runs.list('notes');
    expect(runs.map((run) => `${run.status}@v${run.sourceVersion}`)).toEqual(['succeeded@v5']);
    expect(await store.learned.history('notes')).toHaveLength(1);
  });

  it('runs an on-demand sleep with the options it asked for, when it asked, even after a write coalesced with it', async () => {
    const triggers = createSleepTriggers({ jobs: store.jobs, quietPeriodMs: 60_000, now });
    await store.contexts.put({ id: 'notes', text: 'first text' });
    const asked = await triggers.onDemand('notes', { parallel: 2, maxRewrites: 1 });
    clock = 10;
    await store.contexts.put({ id: 'notes', text: 'second text' });
    const written = await triggers.afterWrite('notes', 'put');
    expect(written).toMatchObject({ id: asked.id, runId: asked.runId, payload: { parallel: 2, maxRewrites: 1 } });
    const { worker } = workerWith([rethink('memory of the context', tokens), rethink('memory of the context, again', tokens)]);
    // Due when asked, not a quiet period after the write.
    expect(await worker.runOnce()).toMatchObject({ status: 'succeeded' });
    const run = await store.runs.get(asked.runId ?? '');
    expect(run).toMatchObject({ status: 'succeeded', sourceVersion: 2, settings: { parallel: 2, maxRewrites: 1 } });
  });

  it('enqueues a job due now every N asks and every N appended turns', async () => {
    const triggers = createSleepTriggers({ jobs: store.jobs, quietPeriodMs: 60_000, everyAsks: 3, everyAppends: 2, now });
    await store.contexts.put({ id: 'chat', text: 'hello' });
    expect(await triggers.afterAsk('chat')).toBeUndefined();
    expect(await triggers.afterAsk('chat')).toBeUndefined();
    expect((await triggers.afterAsk('chat'))?.runAfter).toEqual(now());
    expect(await triggers.afterAsk('chat')).toBeUndefined();
    const { worker } = workerWith([rethink('memory of the context', tokens), finish(tokens)]);
    await worker.runOnce();
    expect((await triggers.afterWrite('chat', 'append')).runAfter).toEqual(new Date(now().getTime() + 60_000));
    expect((await triggers.afterWrite('chat', 'append')).runAfter).toEqual(now());
  });

  it('keeps counting every N asks across a restart and between two servers (the count is in the store)', async () => {
    await store.contexts.put({ id: 'chat', text: 'hello' });
    const first = createSleepTriggers({ jobs: store.jobs, everyAsks: 3, now });
    expect(await first.afterAsk('chat')).toBeUndefined();
    expect(await first.afterAsk('chat')).toBeUndefined();
    // A restarted (or second) server continues the same count: its first ask is the third.
    const second = createSleepTriggers({ jobs: store.jobs, everyAsks: 3, now });
    expect(await second.afterAsk('chat')).toBeDefined();
    expect(await first.afterAsk('chat')).toBeUndefined();
  });

  it('closes the run a crashed worker left running when another worker takes its job over', async () => {
    await store.contexts.put({ id: 'notes', text: 'text' });
    const triggers = createSleepTriggers({ jobs: store.jobs, now });
    const job = await triggers.onDemand('notes');
    const claimed = await store.jobs.claim({ owner: 'crashed', leaseMs: 1000, now: now() });
    expect(claimed).toMatchObject({ id: job.id });
    // The crashed worker had started its run (the pre-assigned id) and recorded it on the job.
    const abandoned = await store.runs.start({ id: job.runId ?? '', contextId: 'notes', kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 1 });
    const { worker } = workerWith([rethink('memory of the context', tokens), finish(tokens)]);
    clock = 1000;
    const outcome = await worker.runOnce();
    expect(outcome).toMatchObject({ status: 'succeeded', job: { attempts: 2 } });
    expect(outcome?.runId).not.toBe(abandoned.id);
    expect(await store.runs.get(abandoned.id)).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
    expect((await store.jobs.get(job.id))?.runId).toBe(outcome?.runId);
  });

  it('picks up the job of a crashed worker once its lease has expired', async () => {
    await store.contexts.put({ id: 'notes', text: 'text' });
    const triggers = createSleepTriggers({ jobs: store.jobs, now });
    const job = await triggers.onDemand('notes');
    // A worker claims the job and dies without a heartbeat.
    expect(await store.jobs.claim({ owner: 'crashed', leaseMs: 1000, now: now() })).toMatchObject({ id: job.id });
    const { worker } = workerWith([rethink('memory of the context', tokens), finish(tokens)]);
    clock = 999;
    expect(await worker.runOnce()).toBeUndefined();
    clock = 1000;
    expect(await worker.runOnce()).toMatchObject({ status: 'succeeded', job: { id: job.id, attempts: 2, leaseOwner: null } });
    expect(await store.learned.history('notes')).toHaveLength(1);
    expect(await store.jobs.complete({ jobId: job.id, owner: 'crashed' })).toBeUndefined();
  });

  it('retries a failing job with exponential backoff, at most maxAttempts times', async () => {
    await store.contexts.put({ id: 'notes', text: 'text' });
    const { job } = await store.jobs.enqueue({ kind: 'sleep', contextId: 'notes', runAfter: now(), maxAttempts: 3, now: now() });
    const failure = () => new Error('upstream exploded');
    const { worker } = workerWith([failure(), failure(), failure()]);
    expect(await worker.runOnce()).toMatchObject({ status: 'retrying', job: { runAfter: new Date(now().getTime() + 1000) } });
    clock = 1000;
    expect(await worker.runOnce()).toMatchObject({ status: 'retrying', job: { runAfter: new Date(now().getTime() + 2000) } });
    clock = 2999;
    expect(await worker.runOnce()).toBeUndefined();
    clock = 3000;
    expect(await worker.runOnce()).toMatchObject({ status: 'failed', job: { id: job.id, attempts: 3, status: 'failed' } });
    clock = 1_000_000;
    expect(await worker.runOnce()).toBeUndefined();
    expect((await store.runs.list('notes')).map((run) => run.status)).toEqual(['failed', 'failed', 'failed']);
  });

  it('does not retry a user error (the sleep options are invalid)', async () => {
    await store.contexts.put({ id: 'notes', text: 'text' });
    await store.jobs.enqueue({ kind: 'sleep', contextId: 'notes', runAfter: now(), payload: { parallel: 99 }, now: now() });
    const { worker } = workerWith([]);
    expect(await worker.runOnce()).toMatchObject({ status: 'failed', job: { attempts: 1 } });
  });

  it('stops a job that runs past its timeout and retries it', async () => {
    await store.contexts.put({ id: 'notes', text: 'text' });
    await store.jobs.enqueue({ kind: 'sleep', contextId: 'notes', runAfter: now(), now: now() });
    const hang: ScriptStep = async (options) => {
      await delay(10_000, options.abortSignal);
      return finish(tokens);
    };
    const { worker } = workerWith([hang], { jobTimeoutMs: 50 });
    const outcome = await worker.runOnce();
    expect(outcome).toMatchObject({ status: 'retrying', error: { code: 'job_timeout' } });
    expect((await store.runs.list('notes'))[0]?.status).toBe('failed');
  });

  it('records a run superseded by a write during the sleep, publishes nothing for it, and a follow-up run publishes', async () => {
    await store.contexts.put({ id: 'notes', text: 'version 1' });
    const triggers = createSleepTriggers({ jobs: store.jobs, now });
    await triggers.onDemand('notes');
    const writeDuringSleep: ScriptStep = async () => {
      await store.contexts.put({ id: 'notes', text: 'version 2' });
      return rethink('memory of version 1', tokens);
    };
    const { worker } = workerWith([writeDuringSleep, finish(tokens), rethink('memory of version 2', tokens), finish(tokens)]);
    const superseded = await worker.runOnce();
    expect(superseded).toMatchObject({ status: 'superseded', error: { code: 'superseded' } });
    expect(await store.learned.latest('notes')).toBeUndefined();
    const followUp = await worker.runOnce();
    expect(followUp).toMatchObject({ status: 'succeeded' });
    const runs = await store.runs.list('notes');
    expect(runs.map((run) => `${run.status}@v${run.sourceVersion}:${run.error?.code ?? '-'}`)).toEqual(['succeeded@v2:-', 'failed@v1:superseded']);
    const history = await store.learned.history('notes');
    expect(history.map((learned) => `${learned.sourceVersion}:${learned.text}`)).toEqual(['2:memory of version 2']);
    expect(await worker.runOnce()).toBeUndefined();
  });

  it('leaves the follow-up of a superseded run to the quiet period when the write enqueued one', async () => {
    await store.contexts.put({ id: 'notes', text: 'version 1' });
    const triggers = createSleepTriggers({ jobs: store.jobs, quietPeriodMs: 5000, now });
    await triggers.onDemand('notes');
    const writeDuringSleep: ScriptStep = async () => {
      await store.contexts.put({ id: 'notes', text: 'version 2' });
      await triggers.afterWrite('notes', 'put');
      return rethink('memory of version 1', tokens);
    };
    const { worker } = workerWith([writeDuringSleep, finish(tokens), rethink('memory of version 2', tokens), finish(tokens)]);
    expect(await worker.runOnce()).toMatchObject({ status: 'superseded' });
    // One pending job, still due a quiet period after the write: not pulled to now.
    const pending = (await store.jobs.list('notes')).filter((job) => job.status === 'pending');
    expect(pending.map((job) => job.runAfter.getTime() - now().getTime())).toEqual([5000]);
    expect(await worker.runOnce()).toBeUndefined();
    clock = 5000;
    expect(await worker.runOnce()).toMatchObject({ status: 'succeeded' });
  });

  it('survives a restart: a job enqueued before the store closed runs after it is reopened, under its pre-assigned run id', async () => {
    await store.contexts.put({ id: 'notes', text: 'text' });
    const job = await createSleepTriggers({ jobs: store.jobs, now }).onDemand('notes', { maxRewrites: 2 });
    await store.close();
    store = await openStore(location.config);
    const { worker } = workerWith([rethink('memory of the context', tokens), finish(tokens)]);
    expect(await worker.runOnce()).toMatchObject({ status: 'succeeded', runId: job.runId });
    expect((await store.runs.get(job.runId ?? ''))?.settings).toMatchObject({ maxRewrites: 2 });
  });

  it('polls in the background once started, and stops cleanly', async () => {
    await store.contexts.put({ id: 'notes', text: 'text' });
    const settled: string[] = [];
    const model = testModel(scriptedLanguageModel([rethink('memory of the context', tokens), finish(tokens)]));
    const worker = createJobWorker({ store, engine: createEngine({ store, model }), pollIntervalMs: 5, onJobSettled: (outcome) => settled.push(outcome.status) });
    worker.start();
    const job = await createSleepTriggers({ jobs: store.jobs }).onDemand('notes');
    for (let wait = 0; wait < 200 && settled.length === 0; wait += 1) await delay(10);
    await worker.stop();
    expect(settled).toEqual(['succeeded']);
    expect((await store.jobs.get(job.id))?.status).toBe('succeeded');
  });
});

describe('the per-tenant cap on sleep jobs', () => {
  it('lets a second worker take another tenant\'s job while one tenant\'s job hangs, not that tenant\'s next one', async () => {
    const triggers = createSleepTriggers({ jobs: store.jobs, quietPeriodMs: 0, now });
    for (const [index, contextId] of ['ta.one', 'ta.two', 'tb.one'].entries()) {
      clock = index;
      await store.contexts.put({ id: contextId, text: `text of ${contextId}` });
      await triggers.afterWrite(contextId, 'put');
    }
    clock = 10;
    let entered!: () => void;
    const hung = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { worker: first } = workerWith(
      [
        async () => {
          entered();
          await gate;
          return rethink('memory of ta.one', tokens);
        },
        finish(tokens),
      ],
      { owner: 'w1' },
    );
    const { worker: second } = workerWith([rethink('memory of tb.one', tokens), finish(tokens), rethink('memory of ta.two', tokens), finish(tokens)], { owner: 'w2' });
    const firstOutcome = first.runOnce();
    await hung;
    // Tenant ta holds one worker (the default cap): the other runs tb's job, then waits.
    expect(await second.runOnce()).toMatchObject({ status: 'succeeded', job: { contextId: 'tb.one' } });
    expect(await second.runOnce()).toBeUndefined();
    release();
    expect(await firstOutcome).toMatchObject({ status: 'succeeded', job: { contextId: 'ta.one' } });
    expect(await second.runOnce()).toMatchObject({ status: 'succeeded', job: { contextId: 'ta.two' } });
  });
});
