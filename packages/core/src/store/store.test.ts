/**
 * The store contract, run unchanged on SQLite and on PostgreSQL. PostgreSQL needs
 * SLEEPTIME_TEST_DATABASE_URL (`bash scripts/start-test-postgres.sh` prints it); without it the
 * PostgreSQL half is skipped, or fails when SLEEPTIME_REQUIRE_POSTGRES=1.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SleeptimeError } from '../errors.js';
import type { ErrorCategory } from '../errors.js';
import type { Usage } from '../models/usage.js';
import { openStore } from './index.js';
import type { ModelCallRecord, Store, StoreConfig } from './index.js';
import {
  createPostgresTestLocation,
  createSqliteTestLocation,
  postgresTestSettings,
  postgresTestUrlVariable,
  requirePostgresVariable,
} from '../testing/test-databases.js';
import type { TestStoreLocation } from '../testing/test-databases.js';

interface StoreTarget {
  kind: 'sqlite' | 'postgres';
  skipReason?: string;
  createLocation(label: string): Promise<TestStoreLocation>;
}

const postgres = postgresTestSettings();
const postgresUrl = postgres.url;

const targets: StoreTarget[] = [
  { kind: 'sqlite', createLocation: createSqliteTestLocation },
  {
    kind: 'postgres',
    ...(postgresUrl === undefined
      ? { skipReason: `${postgresTestUrlVariable} is not set; run scripts/start-test-postgres.sh` }
      : {}),
    createLocation: (label) => createPostgresTestLocation(postgresUrl ?? '', label),
  },
];

if (postgresUrl === undefined && postgres.required) {
  describe('store on postgres', () => {
    it(`has a database because ${requirePostgresVariable}=1`, () => {
      expect.fail(`${requirePostgresVariable}=1 but ${postgresTestUrlVariable} is not set`);
    });
  });
} else if (postgresUrl === undefined) {
  console.warn(`store.test.ts: PostgreSQL suite SKIPPED (${postgresTestUrlVariable} is not set)`);
}

for (const target of targets) {
  const title = `store on ${target.kind}${target.skipReason ? ` (SKIPPED: ${target.skipReason})` : ''}`;
  describe.skipIf(target.skipReason !== undefined)(title, () => defineStoreSuite(target));
}

function usage(inputTokens: number, outputTokens: number, reasoningTokens: number): Usage {
  return { inputTokens, outputTokens, reasoningTokens };
}

function uniqueId(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the operation to fail'),
    (error: unknown) => error,
  );
}

async function expectStoreError(
  promise: Promise<unknown>,
  code: string,
  category: ErrorCategory,
): Promise<SleeptimeError> {
  const error = await rejection(promise);
  expect(SleeptimeError.isInstance(error), `expected a SleeptimeError, got: ${String(error)}`).toBe(true);
  expect(error).toMatchObject({ code, category });
  return error as SleeptimeError;
}

function defineStoreSuite(target: StoreTarget): void {
  let location: TestStoreLocation | undefined;
  const extraLocations: TestStoreLocation[] = [];
  const openStores: Store[] = [];

  beforeAll(async () => {
    location = await target.createLocation('store suite');
  });
  afterEach(async () => {
    await Promise.all(openStores.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await Promise.all(openStores.splice(0).map((store) => store.close()));
    for (const extra of extraLocations) await extra.remove();
    await location?.remove();
  });

  function suiteConfig(): StoreConfig {
    if (location === undefined) throw new Error('the suite location was not created');
    return location.config;
  }

  async function open(config: StoreConfig = suiteConfig()): Promise<Store> {
    const store = await openStore(config);
    openStores.push(store);
    return store;
  }

  async function freshConfig(label: string): Promise<StoreConfig> {
    const extra = await target.createLocation(label);
    extraLocations.push(extra);
    return extra.config;
  }

  /** A context with one published learned context, made by a completed sleep run. */
  async function contextWithLearned(store: Store, learnedText = 'learned v1') {
    const context = await store.contexts.put({ id: uniqueId('ctx'), text: 'the context' });
    const run = await store.runs.start({
      contextId: context.id,
      kind: 'sleep',
      model: 'test:model',
      settings: {},
      sourceVersion: context.version,
    });
    const { learned } = await store.runs.complete(run.id, {
      usage: usage(10, 5, 0),
      learned: { text: learnedText, sourceVersion: context.version },
    });
    if (learned === undefined) throw new Error('complete() published nothing');
    return { context, run, learned };
  }

  it('reports its kind', async () => {
    const store = await open();
    expect(store.kind).toBe(target.kind);
  });

  describe('contexts', () => {
    it('creates at version 1 and bumps the version by one on every write', async () => {
      const store = await open();
      const id = uniqueId('versions');
      const created = await store.contexts.put({ id, text: 'first' });
      expect(created).toMatchObject({ id, text: 'first', version: 1, metadata: {} });
      expect(created.createdAt.getTime()).toBe(created.updatedAt.getTime());

      await sleep(5);
      const second = await store.contexts.put({ id, text: 'second' });
      const third = await store.contexts.put({ id, text: 'third' });
      expect(second).toMatchObject({ text: 'second', version: 2 });
      expect(third).toMatchObject({ text: 'third', version: 3 });
      expect(third.createdAt.getTime()).toBe(created.createdAt.getTime());
      expect(second.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(await store.contexts.get(id)).toEqual(third);
    });

    it('keeps metadata when a put omits it and replaces it when a put gives it', async () => {
      const store = await open();
      const id = uniqueId('metadata');
      await store.contexts.put({ id, text: 'a', metadata: { source: 'file.txt', tags: ['x'] } });
      expect((await store.contexts.put({ id, text: 'b' })).metadata).toEqual({ source: 'file.txt', tags: ['x'] });
      expect((await store.contexts.put({ id, text: 'c', metadata: { source: 'other' } })).metadata).toEqual({
        source: 'other',
      });
      expect((await store.contexts.get(id))?.metadata).toEqual({ source: 'other' });
    });

    it('round-trips metadata and text exactly', async () => {
      const store = await open();
      const id = uniqueId('round-trip');
      const metadata = {
        nested: { deeper: { list: [1, 2.5, -3, null, true, 'four'] } },
        unicode: 'naïve — 東京 🚀',
        quotes: `it's "quoted" \\ back\\slash`,
        empty: {},
        zero: 0,
      };
      const text = `line one\nline two\ttab 'single' "double" ; drop table contexts; --\n${'long '.repeat(20_000)}`;
      await store.contexts.put({ id, text, metadata });
      const stored = await store.contexts.get(id);
      expect(stored?.metadata).toEqual(metadata);
      expect(stored?.text).toBe(text);
    });

    it('gives every concurrent put its own version: none duplicated, none lost', async () => {
      // Two stores mean two connections (SQLite) or two pools (PostgreSQL) racing each other.
      const first = await open();
      const second = await open();
      const id = uniqueId('concurrent');
      const writes = 40;
      const results = await Promise.all(
        Array.from({ length: writes }, (_, index) =>
          (index % 2 === 0 ? first : second).contexts.put({ id, text: `write ${index}` }),
        ),
      );
      const versions = results.map((result) => result.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: writes }, (_, index) => index + 1));
      const stored = await first.contexts.get(id);
      expect(stored?.version).toBe(writes);
      expect(stored?.text).toBe(results.find((result) => result.version === writes)?.text);
    });

    it('bumps an existing context under concurrent puts too', async () => {
      const store = await open();
      const id = uniqueId('concurrent-existing');
      await store.contexts.put({ id, text: 'base' });
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, index) => store.contexts.put({ id, text: `write ${index}` })),
      );
      expect(new Set(results.map((result) => result.version)).size).toBe(25);
      expect((await store.contexts.get(id))?.version).toBe(26);
    });

    it('returns undefined and false for unknown contexts', async () => {
      const store = await open();
      expect(await store.contexts.get(uniqueId('missing'))).toBeUndefined();
      expect(await store.contexts.delete(uniqueId('missing'))).toBe(false);
    });

    it('lists newest first', async () => {
      const store = await open();
      const prefix = uniqueId('list');
      for (const name of ['a', 'b', 'c']) {
        await store.contexts.put({ id: `${prefix}-${name}`, text: name });
        await sleep(5);
      }
      // Writing the oldest again does not make it newer: the order is by creation.
      await store.contexts.put({ id: `${prefix}-a`, text: 'a again' });
      const listed = (await store.contexts.list()).filter((context) => context.id.startsWith(prefix));
      expect(listed.map((context) => context.id)).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
      expect(listed[2]).toMatchObject({ text: 'a again', version: 2 });
    });

    it('deletes a context with its learned contexts, runs and model calls, and nothing else', async () => {
      const store = await open();
      const doomed = await contextWithLearned(store);
      const kept = await contextWithLearned(store);
      for (const { run } of [doomed, kept]) {
        await store.runs.recordCall({
          runId: run.id,
          phase: 'sleep',
          branch: 0,
          step: 0,
          usage: usage(1, 1, 0),
          rawUsage: {},
          finishReason: 'stop',
          durationMs: 1,
        });
      }
      expect(await store.runs.calls(doomed.run.id)).toHaveLength(1);

      expect(await store.contexts.delete(doomed.context.id)).toBe(true);

      expect(await store.contexts.get(doomed.context.id)).toBeUndefined();
      expect(await store.learned.latest(doomed.context.id)).toBeUndefined();
      expect(await store.learned.history(doomed.context.id)).toEqual([]);
      expect(await store.runs.list(doomed.context.id)).toEqual([]);
      expect(await store.runs.get(doomed.run.id)).toBeUndefined();
      expect(await store.runs.calls(doomed.run.id)).toEqual([]);
      expect(await store.contexts.delete(doomed.context.id)).toBe(false);

      expect(await store.contexts.get(kept.context.id)).toBeDefined();
      expect(await store.learned.latest(kept.context.id)).toEqual(kept.learned);
      expect(await store.runs.list(kept.context.id)).toHaveLength(1);
      expect(await store.runs.calls(kept.run.id)).toHaveLength(1);

      // The same id can be used again from scratch.
      expect((await store.contexts.put({ id: doomed.context.id, text: 'reborn' })).version).toBe(1);
    });
  });

  describe('runs', () => {
    it('runs a sleep: start, record calls, complete with a learned context from the version it read', async () => {
      const store = await open();
      const context = await store.contexts.put({ id: uniqueId('sleep'), text: 'v1' });
      const run = await store.runs.start({
        contextId: context.id,
        kind: 'sleep',
        model: 'openai-compatible:tiny',
        settings: { parallel: 2, effort: 'high' },
        sourceVersion: context.version,
      });
      expect(run).toMatchObject({
        contextId: context.id,
        kind: 'sleep',
        status: 'running',
        model: 'openai-compatible:tiny',
        settings: { parallel: 2, effort: 'high' },
        sourceVersion: 1,
        question: null,
        answer: null,
        final: null,
        fresh: null,
        learnedContextId: null,
        usage: usage(0, 0, 0),
        error: null,
        finishedAt: null,
        durationMs: null,
      });
      expect(run.id).toMatch(/^[0-9a-f-]{36}$/);

      const calls: ModelCallRecord[] = [
        {
          runId: run.id,
          phase: 'sleep',
          branch: 1,
          step: 0,
          usage: usage(1200, 340, 0),
          rawUsage: { inputTokens: 1200, outputTokens: 340, totalTokens: 1540, extra: { cached: 100 } },
          finishReason: 'tool-calls',
          durationMs: 812,
        },
        {
          runId: run.id,
          phase: 'sleep',
          branch: 0,
          step: 1,
          usage: usage(1500, 90, 64),
          rawUsage: null,
          finishReason: 'stop',
          durationMs: 95,
        },
        {
          runId: run.id,
          phase: 'sleep',
          branch: 0,
          step: 0,
          usage: usage(1100, 400, 128),
          rawUsage: undefined,
          finishReason: 'tool-calls',
          durationMs: 1024,
        },
      ];
      for (const call of calls) await store.runs.recordCall(call);

      // The context changes while the run thinks: the learned context keeps the version it read.
      await store.contexts.put({ id: context.id, text: 'v2' });
      const total = usage(3800, 830, 192);
      const { run: finished, learned } = await store.runs.complete(run.id, {
        usage: total,
        learned: { text: 'what the model learned', sourceVersion: context.version },
      });

      expect(learned).toMatchObject({
        contextId: context.id,
        sourceVersion: 1,
        text: 'what the model learned',
        runId: run.id,
      });
      expect(learned?.createdAt).toBeInstanceOf(Date);
      expect(finished).toMatchObject({ id: run.id, status: 'succeeded', usage: total, learnedContextId: learned?.id });
      expect(finished.finishedAt?.getTime()).toBeGreaterThanOrEqual(run.startedAt.getTime());
      expect(finished.durationMs).toBe((finished.finishedAt?.getTime() ?? NaN) - run.startedAt.getTime());
      expect(await store.runs.get(run.id)).toEqual(finished);
      expect(await store.learned.latest(context.id)).toEqual(learned);
      expect((await store.contexts.get(context.id))?.version).toBe(2);

      // Usage exactly as recorded; raw usage round-trips (null stays null, undefined stays undefined).
      const stored = await store.runs.calls(run.id);
      expect(stored).toEqual([calls[2], calls[1], calls[0]]);
      expect(stored[1]).toHaveProperty('rawUsage', null);
      expect(stored[0]?.rawUsage).toBeUndefined();
    });

    it('completes an ask with its answer, freshness and the learned context it used', async () => {
      const store = await open();
      const { context, learned } = await contextWithLearned(store);
      const run = await store.runs.start({
        contextId: context.id,
        kind: 'ask',
        model: 'llama:/models/tiny.gguf',
        settings: { verbosity: 2 },
        sourceVersion: 1,
        question: 'What is 2 + 2?',
      });
      await store.runs.recordCall({
        runId: run.id,
        phase: 'test',
        branch: 0,
        step: 0,
        usage: usage(50, 7, 0),
        rawUsage: { inputTokens: 50, outputTokens: 7 },
        finishReason: 'stop',
        durationMs: 12,
      });
      const { run: finished, learned: published } = await store.runs.complete(run.id, {
        usage: usage(50, 7, 0),
        answer: 'It is 4.',
        final: '4',
        fresh: false,
        learnedContextId: learned.id,
      });
      expect(published).toBeUndefined();
      expect(finished).toMatchObject({
        kind: 'ask',
        status: 'succeeded',
        question: 'What is 2 + 2?',
        answer: 'It is 4.',
        final: '4',
        fresh: false,
        learnedContextId: learned.id,
        usage: usage(50, 7, 0),
      });
      expect(await store.learned.history(context.id)).toEqual([learned]);

      const second = await store.runs.start({
        contextId: context.id,
        kind: 'ask',
        model: 'm',
        settings: {},
        sourceVersion: 1,
        question: 'q',
      });
      const { run: freshRun } = await store.runs.complete(second.id, { usage: usage(1, 1, 0), final: null, fresh: true });
      expect(freshRun).toMatchObject({ fresh: true, final: null, answer: null, learnedContextId: null });
    });

    it('keeps how an ask read its prompt prefix and what the warm-up after a sleep did', async () => {
      const store = await open();
      const context = await store.contexts.put({ id: uniqueId('prefix'), text: 'v1' });
      const askRun = (question: string) =>
        store.runs.start({ contextId: context.id, kind: 'ask', model: 'm', settings: {}, sourceVersion: 1, question });
      const hit = await askRun('hit');
      expect(hit).toMatchObject({ prefixCacheHit: null, timeToFirstTokenMs: null, prefixWarmUp: null });
      const { run: hitRun } = await store.runs.complete(hit.id, { usage: usage(1, 1, 0), prefixCacheHit: true, timeToFirstTokenMs: 41.6 });
      expect(hitRun).toMatchObject({ prefixCacheHit: true, timeToFirstTokenMs: 42 });
      const miss = await askRun('miss');
      await store.runs.complete(miss.id, { usage: usage(1, 1, 0), prefixCacheHit: false, timeToFirstTokenMs: 900 });
      expect(await store.runs.get(miss.id)).toMatchObject({ prefixCacheHit: false, timeToFirstTokenMs: 900 });
      const unreported = await askRun('unreported');
      await store.runs.complete(unreported.id, { usage: usage(1, 1, 0) });
      expect(await store.runs.get(unreported.id)).toMatchObject({ prefixCacheHit: null, timeToFirstTokenMs: null });

      const sleep = await store.runs.start({ contextId: context.id, kind: 'sleep', model: 'm', settings: {}, sourceVersion: 1 });
      await store.runs.complete(sleep.id, { usage: usage(1, 1, 0), learned: { text: 'notes', sourceVersion: 1 } });
      const warmUp = { status: 'failed' as const, durationMs: 12, error: { code: 'llama_prefix_warm_up_failed', message: 'disk full' } };
      const recorded = await store.runs.recordPrefixWarmUp(sleep.id, warmUp);
      expect(recorded).toMatchObject({ status: 'succeeded', prefixWarmUp: warmUp });
      expect((await store.runs.get(sleep.id))?.prefixWarmUp).toEqual(warmUp);
      await expectStoreError(store.runs.recordPrefixWarmUp('no-such-run', warmUp), 'run_not_found', 'system');
    });

    it('publishes nothing and leaves the run running when the learned insert fails inside complete', async () => {
      const store = await open();
      const { context, learned: previous } = await contextWithLearned(store, 'the last good learned context');
      const run = await store.runs.start({
        contextId: context.id,
        kind: 'sleep',
        model: 'm',
        settings: {},
        sourceVersion: 1,
      });

      // Source version 0 violates a CHECK constraint: the insert fails after the run row was
      // already marked succeeded in the same transaction, which must roll back.
      const error = await expectStoreError(
        store.runs.complete(run.id, { usage: usage(9, 9, 9), learned: { text: 'half done', sourceVersion: 0 } }),
        'store_failed',
        'system',
      );
      expect(error.message).toMatch(/runs\.complete/);

      expect(await store.runs.get(run.id)).toMatchObject({
        status: 'running',
        finishedAt: null,
        durationMs: null,
        usage: usage(0, 0, 0),
        learnedContextId: null,
      });
      expect(await store.learned.latest(context.id)).toEqual(previous);
      expect(await store.learned.history(context.id)).toEqual([previous]);

      // Still running, so it can complete properly afterwards.
      const { learned } = await store.runs.complete(run.id, {
        usage: usage(9, 9, 9),
        learned: { text: 'done right', sourceVersion: 1 },
      });
      expect((await store.learned.latest(context.id))?.text).toBe('done right');
      expect(await store.learned.history(context.id)).toEqual([previous, learned]);
    });

    it('fail() records the error and usage and keeps the previous learned context', async () => {
      const store = await open();
      const { context, learned: previous } = await contextWithLearned(store);
      const run = await store.runs.start({ contextId: context.id, kind: 'sleep', model: 'm', settings: {}, sourceVersion: 1 });
      const failed = await store.runs.fail(
        run.id,
        { code: 'provider_rate_limited', message: 'HTTP 429 after 5 attempts' },
        usage(300, 20, 0),
      );
      expect(failed).toMatchObject({
        status: 'failed',
        error: { code: 'provider_rate_limited', message: 'HTTP 429 after 5 attempts' },
        usage: usage(300, 20, 0),
        learnedContextId: null,
      });
      expect(failed.finishedAt).toBeInstanceOf(Date);
      expect(failed.durationMs).toBeGreaterThanOrEqual(0);
      expect(await store.runs.get(run.id)).toEqual(failed);
      expect(await store.learned.latest(context.id)).toEqual(previous);
      expect(await store.learned.history(context.id)).toEqual([previous]);
    });

    it('only finishes a running run: a second complete or fail is run_not_running', async () => {
      const store = await open();
      const { context, run: completed, learned } = await contextWithLearned(store);
      const error = await expectStoreError(
        store.runs.complete(completed.id, { usage: usage(1, 1, 1), learned: { text: 'again', sourceVersion: 1 } }),
        'run_not_running',
        'system',
      );
      expect(error.message).toContain(completed.id);
      await expectStoreError(
        store.runs.fail(completed.id, { code: 'x', message: 'y' }, usage(0, 0, 0)),
        'run_not_running',
        'system',
      );
      expect(await store.runs.get(completed.id)).toMatchObject({ status: 'succeeded', usage: usage(10, 5, 0), error: null });
      expect(await store.learned.history(context.id)).toEqual([learned]);

      const failed = await store.runs.start({ contextId: context.id, kind: 'ask', model: 'm', settings: {}, sourceVersion: 1 });
      await store.runs.fail(failed.id, { code: 'boom', message: 'it broke' }, usage(0, 0, 0));
      await expectStoreError(store.runs.complete(failed.id, { usage: usage(0, 0, 0) }), 'run_not_running', 'system');
      expect((await store.runs.get(failed.id))?.status).toBe('failed');
    });

    it('lets exactly one of two racing complete/fail calls win', async () => {
      const store = await open();
      const other = await open();
      const context = await store.contexts.put({ id: uniqueId('race'), text: 't' });
      const run = await store.runs.start({ contextId: context.id, kind: 'sleep', model: 'm', settings: {}, sourceVersion: 1 });
      const outcomes = await Promise.allSettled([
        store.runs.complete(run.id, { usage: usage(1, 1, 1), learned: { text: 'won', sourceVersion: 1 } }),
        other.runs.fail(run.id, { code: 'cancelled', message: 'cancelled' }, usage(1, 1, 1)),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const stored = await store.runs.get(run.id);
      const history = await store.learned.history(context.id);
      expect(history).toHaveLength(stored?.status === 'succeeded' ? 1 : 0);
    });

    it('rejects a run on an unknown context as a user error, writing nothing', async () => {
      const store = await open();
      const contextId = uniqueId('nowhere');
      const error = await expectStoreError(
        store.runs.start({ contextId, kind: 'ask', model: 'm', settings: {}, sourceVersion: 1, question: 'q' }),
        'context_not_found',
        'user',
      );
      expect(error.message).toContain(contextId);
      expect(await store.runs.list(contextId)).toEqual([]);
    });

    it('reports unknown runs and invalid usage as system errors', async () => {
      const store = await open();
      const runId = randomUUID();
      await expectStoreError(store.runs.complete(runId, { usage: usage(0, 0, 0) }), 'run_not_found', 'system');
      await expectStoreError(store.runs.fail(runId, { code: 'a', message: 'b' }, usage(0, 0, 0)), 'run_not_found', 'system');
      await expectStoreError(
        store.runs.recordCall({
          runId,
          phase: 'test',
          branch: 0,
          step: 0,
          usage: usage(1, 1, 0),
          rawUsage: {},
          finishReason: 'stop',
          durationMs: 1,
        }),
        'run_not_found',
        'system',
      );
      expect(await store.runs.get(runId)).toBeUndefined();

      const context = await store.contexts.put({ id: uniqueId('usage'), text: 't' });
      const run = await store.runs.start({ contextId: context.id, kind: 'ask', model: 'm', settings: {}, sourceVersion: 1 });
      await expectStoreError(store.runs.complete(run.id, { usage: usage(1.5, 0, 0) }), 'invalid_usage', 'system');
      await expectStoreError(store.runs.fail(run.id, { code: 'a', message: 'b' }, usage(-1, 0, 0)), 'invalid_usage', 'system');
      expect((await store.runs.get(run.id))?.status).toBe('running');
    });

    it('keeps caller-chosen run ids and refuses duplicates', async () => {
      const store = await open();
      const context = await store.contexts.put({ id: uniqueId('ids'), text: 't' });
      const id = uniqueId('run');
      const run = await store.runs.start({ id, contextId: context.id, kind: 'ask', model: 'm', settings: {}, sourceVersion: 1 });
      expect(run.id).toBe(id);
      await expectStoreError(
        store.runs.start({ id, contextId: context.id, kind: 'ask', model: 'm', settings: {}, sourceVersion: 1 }),
        'run_already_exists',
        'system',
      );
    });

    it('lists runs newest first, with a limit, each with its own usage', async () => {
      const store = await open();
      const context = await store.contexts.put({ id: uniqueId('history'), text: 't' });
      const usages = [usage(100, 10, 1), usage(200, 20, 2), usage(300, 30, 3), usage(400, 40, 4)];
      const started: string[] = [];
      // No pauses: runs started within the same millisecond must still list in order.
      for (const [index, runUsage] of usages.entries()) {
        const run = await store.runs.start({
          contextId: context.id,
          kind: index % 2 === 0 ? 'sleep' : 'ask',
          model: 'm',
          settings: { index },
          sourceVersion: 1,
        });
        started.push(run.id);
        if (index === 2) await store.runs.fail(run.id, { code: 'e', message: 'm' }, runUsage);
        else await store.runs.complete(run.id, { usage: runUsage });
      }
      const listed = await store.runs.list(context.id);
      expect(listed.map((run) => run.id)).toEqual([...started].reverse());
      expect(listed.map((run) => run.settings)).toEqual([{ index: 3 }, { index: 2 }, { index: 1 }, { index: 0 }]);
      expect(listed.map((run) => run.status)).toEqual(['succeeded', 'failed', 'succeeded', 'succeeded']);
      expect(listed.map((run) => run.usage)).toEqual([...usages].reverse());
      const total = listed.reduce(
        (sum, run) => ({
          inputTokens: sum.inputTokens + run.usage.inputTokens,
          outputTokens: sum.outputTokens + run.usage.outputTokens,
          reasoningTokens: sum.reasoningTokens + run.usage.reasoningTokens,
        }),
        usage(0, 0, 0),
      );
      expect(total).toEqual(usage(1000, 100, 10));

      expect((await store.runs.list(context.id, { limit: 2 })).map((run) => run.id)).toEqual([started[3], started[2]]);
      await expectStoreError(store.runs.list(context.id, { limit: -1 }), 'invalid_limit', 'user');
    });

    it('keeps large token counts exactly', async () => {
      const store = await open();
      const context = await store.contexts.put({ id: uniqueId('large'), text: 't' });
      const run = await store.runs.start({ contextId: context.id, kind: 'sleep', model: 'm', settings: {}, sourceVersion: 1 });
      const big = usage(3_000_000_000, 2_147_483_648, 9_007_199_254);
      await store.runs.recordCall({
        runId: run.id,
        phase: 'sleep',
        branch: 0,
        step: 0,
        usage: big,
        rawUsage: { inputTokens: 3_000_000_000 },
        finishReason: 'length',
        durationMs: 86_400_000 * 30,
      });
      const { run: finished } = await store.runs.complete(run.id, { usage: big });
      expect(finished.usage).toEqual(big);
      expect((await store.runs.calls(run.id))[0]).toMatchObject({ usage: big, durationMs: 86_400_000 * 30 });
    });
  });

  describe('reads for dashboards: statistics, searches, changes', () => {
    /** A finished run of `contextId`: an ask with or without a learned context, or a sleep. */
    async function finishedRun(store: Store, contextId: string, kind: 'sleep' | 'ask', outcome: { usage: Usage; learnedContextId?: number; ttft?: number; cacheHit?: boolean; fail?: boolean }) {
      const run = await store.runs.start({ contextId, kind, model: 'test:model', settings: {}, sourceVersion: 1 });
      if (outcome.fail === true) return store.runs.fail(run.id, { code: 'upstream_failed', message: 'no' }, outcome.usage);
      const { run: done } = await store.runs.complete(run.id, {
        usage: outcome.usage,
        learnedContextId: outcome.learnedContextId ?? null,
        timeToFirstTokenMs: outcome.ttft ?? null,
        prefixCacheHit: outcome.cacheHit ?? null,
      });
      return done;
    }

    it('sums runs per context, kind, status and use of a learned context, and counts learned contexts', async () => {
      const store = await open();
      const tenant = `s${randomUUID().slice(0, 8)}.`;
      const { context, learned } = await contextWithLearned(store);
      // A context outside the tenant (no prefix), for the selection by ids; the tenant's own follows.
      const id = `${tenant}notes`;
      await store.contexts.put({ id, text: 'notes' });
      const sleep = await store.runs.start({ contextId: id, kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 1 });
      const { learned: first } = await store.runs.complete(sleep.id, { usage: usage(100, 40, 10), learned: { text: 'v1', sourceVersion: 1 } });
      await store.contexts.put({ id, text: 'notes, changed' });
      const again = await store.runs.start({ contextId: id, kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 2 });
      await store.runs.complete(again.id, { usage: usage(50, 20, 0), learned: { text: 'v2', sourceVersion: 2 } });
      await finishedRun(store, id, 'sleep', { usage: usage(5, 1, 0), fail: true });
      await finishedRun(store, id, 'ask', { usage: usage(30, 8, 0), learnedContextId: first?.id ?? 0, ttft: 40, cacheHit: true });
      await finishedRun(store, id, 'ask', { usage: usage(30, 12, 0), learnedContextId: first?.id ?? 0, ttft: 60, cacheHit: false });
      await finishedRun(store, id, 'ask', { usage: usage(20, 50, 0) });
      await store.contexts.put({ id: `${tenant}empty`, text: 'nothing ran' });

      const groups = await store.runs.statistics({ prefix: tenant });
      const group = (kind: string, status: string, withLearned: boolean) => groups.find((entry) => entry.kind === kind && entry.status === status && entry.withLearned === withLearned);
      expect(groups.every((entry) => entry.contextId === id)).toBe(true);
      expect(groups).toHaveLength(4);
      expect(group('sleep', 'succeeded', false)).toMatchObject({ runs: 2, usage: usage(150, 60, 10), timedRuns: 2, firstTokenRuns: 0, prefixCacheHits: 0 });
      expect(group('sleep', 'failed', false)).toMatchObject({ runs: 1, usage: usage(5, 1, 0) });
      expect(group('ask', 'succeeded', true)).toMatchObject({ runs: 2, usage: usage(60, 20, 0), timedRuns: 2, timeToFirstTokenMs: 100, firstTokenRuns: 2, prefixCacheHits: 1 });
      expect(group('ask', 'succeeded', false)).toMatchObject({ runs: 1, usage: usage(20, 50, 0), firstTokenRuns: 0 });
      expect(group('ask', 'succeeded', true)?.lastStartedAt).toBeInstanceOf(Date);
      // By ids: the same groups; an empty list reads nothing.
      expect(await store.runs.statistics({ contextIds: [id, context.id] })).toHaveLength(5);
      expect(await store.runs.statistics({ contextIds: [] })).toEqual([]);

      expect(await store.learned.statistics({ prefix: tenant })).toEqual([{ contextId: id, versions: 2, latestSourceVersion: 2, latestCreatedAt: expect.any(Date) }]);
      expect(await store.learned.statistics({ contextIds: [context.id] })).toEqual([
        { contextId: context.id, versions: 1, latestSourceVersion: learned.sourceVersion, latestCreatedAt: learned.createdAt },
      ]);
    });

    it('searches ids within a prefix, ignoring case, taking the text literally, with keyset paging', async () => {
      const store = await open();
      const tag = randomUUID().slice(0, 8);
      const prefix = `q${tag}.`;
      for (const name of ['Notes-2024', 'notes_b', 'plans', 'my.notes', 'n%tes']) await store.contexts.put({ id: `${prefix}${name}`, text: name });
      // The prefix itself is not searched: every id starts with it.
      const found = await store.contexts.list({ prefix, contains: 'NOTES' });
      expect(found.map((record) => record.id.slice(prefix.length))).toEqual(['Notes-2024', 'my.notes', 'notes_b']);
      expect((await store.contexts.list({ prefix, contains: '_' })).map((record) => record.id.slice(prefix.length))).toEqual(['notes_b']);
      expect((await store.contexts.list({ prefix, contains: '%' })).map((record) => record.id.slice(prefix.length))).toEqual(['n%tes']);
      expect((await store.contexts.list({ prefix, contains: tag })).map((record) => record.id)).toEqual([]);
      const page = await store.contexts.list({ prefix, contains: 'notes', limit: 1, after: `${prefix}Notes-2024` });
      expect(page.map((record) => record.id.slice(prefix.length))).toEqual(['my.notes']);
    });

    it('follows a prefix\'s runs: the running ones first, then those added, and watched ones as they end', async () => {
      const store = await open();
      const tenant = `f${randomUUID().slice(0, 8)}.`;
      const other = `g${randomUUID().slice(0, 8)}.`;
      await store.contexts.put({ id: `${tenant}a`, text: 'a' });
      await store.contexts.put({ id: `${other}a`, text: 'a' });
      const running = await store.runs.start({ contextId: `${tenant}a`, kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 1 });
      await finishedRun(store, `${tenant}a`, 'ask', { usage: usage(1, 1, 0) });

      const first = await store.runs.changes({ prefix: tenant });
      expect(first.runs.map((run) => run.id)).toEqual([running.id]);
      expect((await store.runs.changes({ prefix: tenant, after: first.cursor })).runs).toEqual([]);

      const added = await store.runs.start({ contextId: `${tenant}a`, kind: 'ask', model: 'test:model', settings: {}, sourceVersion: 1, question: 'q?' });
      await store.runs.start({ contextId: `${other}a`, kind: 'ask', model: 'test:model', settings: {}, sourceVersion: 1 });
      await store.runs.complete(running.id, { usage: usage(3, 2, 0) });
      const second = await store.runs.changes({ prefix: tenant, after: first.cursor, ids: [running.id] });
      expect(second.runs.map((run) => [run.id, run.status])).toEqual([
        [added.id, 'running'],
        [running.id, 'succeeded'],
      ]);
      expect(second.cursor).toBeGreaterThan(first.cursor);
      // Another prefix's watched id is not shown.
      expect((await store.runs.changes({ prefix: other, after: second.cursor, ids: [running.id] })).runs).toEqual([]);
      // A page at a time.
      for (let index = 0; index < 3; index += 1) await finishedRun(store, `${tenant}a`, 'ask', { usage: usage(1, 1, 0) });
      const paged = await store.runs.changes({ prefix: tenant, after: second.cursor, limit: 2 });
      expect(paged.runs).toHaveLength(2);
      expect((await store.runs.changes({ prefix: tenant, after: paged.cursor })).runs).toHaveLength(1);
    });

    it('lists jobs changed since a time under a prefix, oldest change first, and a context\'s jobs up to a limit', async () => {
      const store = await open();
      const tenant = `j${randomUUID().slice(0, 8)}.`;
      await store.contexts.put({ id: `${tenant}a`, text: 'a' });
      await store.contexts.put({ id: `${tenant}b`, text: 'b' });
      await store.contexts.put({ id: `x${tenant}b`, text: 'b' });
      const start = new Date(Date.now() - 60_000);
      const a = await store.jobs.enqueue({ kind: 'sleep', contextId: `${tenant}a`, runAfter: start, now: new Date(start.getTime() + 1000) });
      const b = await store.jobs.enqueue({ kind: 'sleep', contextId: `${tenant}b`, runAfter: start, now: new Date(start.getTime() + 2000) });
      await store.jobs.enqueue({ kind: 'sleep', contextId: `x${tenant}b`, runAfter: start, now: new Date(start.getTime() + 3000) });
      expect((await store.jobs.changedSince({ prefix: tenant, since: start })).map((job) => job.id)).toEqual([a.job.id, b.job.id]);
      expect((await store.jobs.changedSince({ prefix: tenant, since: new Date(start.getTime() + 1500) })).map((job) => job.id)).toEqual([b.job.id]);
      expect((await store.jobs.changedSince({ prefix: tenant, since: start, limit: 1 })).map((job) => job.id)).toEqual([a.job.id]);
      await store.jobs.enqueue({ kind: 'sleep', contextId: `${tenant}a`, runAfter: start, now: new Date(start.getTime() + 4000) });
      expect(await store.jobs.list(`${tenant}a`, { limit: 1 })).toHaveLength(1);
      expect(await store.jobs.list(`${tenant}a`)).toHaveLength(2);
    });
  });

  describe('service tenancy (HTTP API)', () => {
    it('lists by id prefix in id order with keyset paging, taking the prefix literally', async () => {
      const store = await open();
      const tag = randomUUID().slice(0, 8);
      for (const id of [`p${tag}_.c`, `p${tag}_.a`, `p${tag}_.b`, `p${tag}x.a`, `p${tag}__a`]) await store.contexts.put({ id, text: id });
      const prefix = `p${tag}_.`;
      const all = await store.contexts.list({ prefix });
      expect(all.map((record) => record.id)).toEqual([`p${tag}_.a`, `p${tag}_.b`, `p${tag}_.c`]);
      const firstPage = await store.contexts.list({ prefix, limit: 2 });
      expect(firstPage.map((record) => record.id)).toEqual([`p${tag}_.a`, `p${tag}_.b`]);
      const secondPage = await store.contexts.list({ prefix, limit: 2, after: `p${tag}_.b` });
      expect(secondPage.map((record) => record.id)).toEqual([`p${tag}_.c`]);
      await expectStoreError(store.contexts.list({ prefix, limit: -1 }), 'invalid_limit', 'user');
    });

    it('appends in one statement: creates at version 1, keeps every concurrent append', async () => {
      const store = await open();
      const id = `append-${randomUUID()}`;
      expect(await store.contexts.append({ id, text: 'first', separator: '\n' })).toMatchObject({ version: 1, text: 'first', metadata: {} });
      await Promise.all(Array.from({ length: 8 }, (_, index) => store.contexts.append({ id, text: `turn ${index}`, separator: '\n' })));
      const record = await store.contexts.get(id);
      expect(record?.version).toBe(9);
      const lines = record?.text.split('\n') ?? [];
      expect(lines[0]).toBe('first');
      expect([...lines.slice(1)].sort()).toEqual(Array.from({ length: 8 }, (_, index) => `turn ${index}`).sort());
    });

    it('refuses a put or an append past maxBytes of UTF-8, writing nothing, and names the limit and the size', async () => {
      const store = await open();
      const id = uniqueId('size');
      // 'é' is 2 bytes of UTF-8: 4 characters, 8 bytes.
      const tooBigPut = await expectStoreError(store.contexts.put({ id, text: 'éééé', maxBytes: 7 }), 'context_too_large', 'user');
      expect(tooBigPut.details).toEqual({ maxBytes: 7, bytes: 8 });
      expect(tooBigPut.message).toMatch(/8 bytes.*limit of 7 bytes/);
      await expectStoreError(store.contexts.append({ id, text: 'éééé', separator: '\n', maxBytes: 7 }), 'context_too_large', 'user');
      expect(await store.contexts.get(id)).toBeUndefined();

      expect(await store.contexts.put({ id, text: 'éééé', maxBytes: 8 })).toMatchObject({ version: 1, text: 'éééé' });
      // 8 + 1 (separator) + 2 = 11 bytes: over 10, at 11 it fits.
      const tooBigAppend = await expectStoreError(store.contexts.append({ id, text: 'é', separator: '\n', maxBytes: 10 }), 'context_too_large', 'user');
      expect(tooBigAppend.details).toEqual({ maxBytes: 10, bytes: 11 });
      expect(await store.contexts.get(id)).toMatchObject({ version: 1, text: 'éééé' });
      expect(await store.contexts.append({ id, text: 'é', separator: '\n', maxBytes: 11 })).toMatchObject({ version: 2, text: 'éééé\né' });
      // A put replaces the text: only its own size counts.
      expect(await store.contexts.put({ id, text: 'short', maxBytes: 5 })).toMatchObject({ version: 3, text: 'short' });
    });

    it('keeps exactly the concurrent appends that fit under maxBytes', async () => {
      // Two stores race each other (two connections, or two pools); each append adds 1 + 9 bytes.
      const first = await open();
      const second = await open();
      const id = uniqueId('size-race');
      await first.contexts.put({ id, text: 'start' });
      const maxBytes = 5 + 7 * 10 + 5;
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) =>
          (index % 2 === 0 ? first : second).contexts.append({ id, text: `turn ${String(index).padStart(4, '0')}`, separator: '\n', maxBytes }),
        ),
      );
      const kept = results.filter((result) => result.status === 'fulfilled');
      const refused = results.filter((result) => result.status === 'rejected');
      expect(kept).toHaveLength(7);
      for (const result of refused) expect(result.reason).toMatchObject({ code: 'context_too_large', category: 'user' });
      const record = await first.contexts.get(id);
      expect(record?.version).toBe(8);
      expect(Buffer.byteLength(record?.text ?? '')).toBe(75);
      expect(record?.text.split('\n')).toHaveLength(8);
    });

    it("refuses a write that would create a context past the quota's maxContexts, per prefix, writing nothing", async () => {
      const store = await open();
      const tag = randomUUID().slice(0, 8);
      const prefix = `q${tag}_.`;
      const other = `q${tag}x.`;
      // Another prefix that a LIKE would take for this one ('_' is a wildcard there): not counted.
      await store.contexts.put({ id: `${other}z`, text: 'z' });
      const quota = { prefix, maxContexts: 2 };
      await store.contexts.put({ id: `${prefix}a`, text: 'a', quota });
      await store.contexts.append({ id: `${prefix}b`, text: 'b', separator: '\n', quota });
      const refused = await expectStoreError(store.contexts.put({ id: `${prefix}c`, text: 'c', quota }), 'tenant_context_limit', 'user');
      expect(refused.details).toEqual({ maxContexts: 2, contexts: 2 });
      await expectStoreError(store.contexts.append({ id: `${prefix}c`, text: 'c', separator: '\n', quota }), 'tenant_context_limit', 'user');
      expect(await store.contexts.get(`${prefix}c`)).toBeUndefined();
      // Existing contexts still take writes, another prefix has its own count, and a delete frees a slot.
      expect(await store.contexts.put({ id: `${prefix}a`, text: 'a2', quota })).toMatchObject({ version: 2 });
      expect(await store.contexts.append({ id: `${prefix}b`, text: 'b2', separator: '\n', quota })).toMatchObject({ version: 2 });
      expect(await store.contexts.put({ id: `${other}c`, text: 'c', quota: { prefix: other, maxContexts: 2 } })).toMatchObject({ version: 1 });
      await store.contexts.delete(`${prefix}a`);
      expect(await store.contexts.put({ id: `${prefix}c`, text: 'c', quota })).toMatchObject({ version: 1 });
    });

    it("refuses a put or an append that would grow the prefix's text past the quota's maxBytes, writing nothing", async () => {
      const store = await open();
      const prefix = `q${randomUUID().slice(0, 8)}.`;
      // 'é' is 2 bytes of UTF-8.
      const quota = { prefix, maxBytes: 10 };
      await store.contexts.put({ id: `${prefix}a`, text: 'éé', quota });
      await store.contexts.put({ id: `${prefix}b`, text: 'éé', quota });
      const refused = await expectStoreError(store.contexts.put({ id: `${prefix}c`, text: 'ééé', quota }), 'tenant_storage_limit', 'user');
      expect(refused.details).toEqual({ maxBytes: 10, bytes: 14 });
      expect(refused.message).toMatch(/14 bytes.*limit of 10 bytes/);
      expect(await store.contexts.get(`${prefix}c`)).toBeUndefined();
      // 8 + 1 (separator) + 2 = 11: over; a put counts only what it adds beyond the text it replaces.
      await expectStoreError(store.contexts.append({ id: `${prefix}a`, text: 'é', separator: '\n', quota }), 'tenant_storage_limit', 'user');
      expect(await store.contexts.get(`${prefix}a`)).toMatchObject({ version: 1, text: 'éé' });
      expect(await store.contexts.put({ id: `${prefix}a`, text: 'ééé', quota })).toMatchObject({ version: 2 });
      // Over a lowered limit, a write that shrinks the text still goes through.
      expect(await store.contexts.put({ id: `${prefix}a`, text: 'é', quota: { prefix, maxBytes: 1 } })).toMatchObject({ version: 3 });
      expect(await store.contexts.append({ id: `${prefix}b`, text: 'x', separator: '', quota })).toMatchObject({ text: 'ééx' });
    });

    it('keeps exactly the concurrent creations and appends that fit the quota', async () => {
      const store = await open();
      const prefix = `q${randomUUID().slice(0, 8)}.`;
      const created = await Promise.allSettled(
        Array.from({ length: 12 }, (_, index) => store.contexts.put({ id: `${prefix}c${index}`, text: '12345', quota: { prefix, maxContexts: 5 } })),
      );
      expect(created.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
      for (const result of created) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'tenant_context_limit' });
      // 25 bytes so far; each append to one of the five adds 1 + 4; room for 3 under 40.
      const ids = created.flatMap((result) => (result.status === 'fulfilled' ? [result.value.id] : []));
      const appended = await Promise.allSettled(
        ids.map((id) => store.contexts.append({ id, text: 'more', separator: '\n', quota: { prefix, maxBytes: 40 } })),
      );
      expect(appended.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
      for (const result of appended) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'tenant_storage_limit' });
      const stored = await store.contexts.list({ prefix });
      expect(stored).toHaveLength(5);
      expect(stored.reduce((sum, record) => sum + Buffer.byteLength(record.text), 0)).toBe(40);
    });

    it('keeps tenants with unique names and finds active keys by hash only', async () => {
      const store = await open();
      const name = `tenant-${randomUUID()}`;
      const before = await store.tenants.count();
      const tenant = await store.tenants.create({ id: `t${randomUUID().replaceAll('-', '').slice(0, 16)}`, name });
      expect(await store.tenants.count()).toBe(before + 1);
      expect(await store.tenants.get(tenant.id)).toEqual(tenant);
      expect(await store.tenants.getByName(name)).toEqual(tenant);
      await expectStoreError(store.tenants.create({ id: `t${randomUUID().slice(0, 8)}`, name }), 'tenant_exists', 'user');

      const keyHash = randomUUID();
      const key = await store.apiKeys.create({ id: `k${randomUUID()}`, tenantId: tenant.id, keyHash, label: 'ci' });
      expect(key).toMatchObject({ tenantId: tenant.id, label: 'ci', revokedAt: null });
      expect(await store.apiKeys.findActiveByHash(keyHash)).toEqual({ key, tenant });
      expect(await store.apiKeys.findActiveByHash(randomUUID())).toBeUndefined();
      await expectStoreError(store.apiKeys.create({ id: `k${randomUUID()}`, tenantId: 'no-such-tenant', keyHash: randomUUID() }), 'tenant_not_found', 'user');
    });

    it("lists a tenant's keys without hashes and revokes a key once, keeping the first time", async () => {
      const store = await open();
      const tenant = await store.tenants.create({ id: `t${randomUUID().replaceAll('-', '').slice(0, 16)}`, name: `tenant-${randomUUID()}` });
      const other = await store.tenants.create({ id: `t${randomUUID().replaceAll('-', '').slice(0, 16)}`, name: `tenant-${randomUUID()}` });
      expect(await store.apiKeys.list(tenant.id)).toEqual([]);
      const firstHash = randomUUID();
      const secondHash = randomUUID();
      const first = await store.apiKeys.create({ id: `k${randomUUID()}`, tenantId: tenant.id, keyHash: firstHash, label: 'first' });
      await sleep(5);
      const second = await store.apiKeys.create({ id: `k${randomUUID()}`, tenantId: tenant.id, keyHash: secondHash });
      await store.apiKeys.create({ id: `k${randomUUID()}`, tenantId: other.id, keyHash: randomUUID() });

      const listed = await store.apiKeys.list(tenant.id);
      expect(listed).toEqual([first, second]);
      expect(JSON.stringify(listed)).not.toContain(firstHash);
      expect(JSON.stringify(listed)).not.toContain(secondHash);
      for (const record of listed) expect(Object.keys(record).sort()).toEqual(['createdAt', 'id', 'label', 'revokedAt', 'tenantId']);

      const revoked = await store.apiKeys.revoke(first.id);
      expect(revoked).toMatchObject({ id: first.id, tenantId: tenant.id, label: 'first', createdAt: first.createdAt, revokedAt: expect.any(Date) });
      expect(Object.keys(revoked ?? {})).not.toContain('keyHash');
      expect(await store.apiKeys.findActiveByHash(firstHash)).toBeUndefined();
      expect(await store.apiKeys.findActiveByHash(secondHash)).toMatchObject({ key: second, tenant });

      await sleep(5);
      const again = await store.apiKeys.revoke(first.id);
      expect(again?.revokedAt).toEqual(revoked?.revokedAt);
      expect(await store.apiKeys.list(tenant.id)).toEqual([revoked, second]);
      expect(await store.apiKeys.revoke(`k${randomUUID()}`)).toBeUndefined();
      expect(await store.apiKeys.list('no-such-tenant')).toEqual([]);
    });
  });

  describe('jobs', () => {
    const start = new Date('2030-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(start.getTime() + ms);

    /** A store of its own: claim() takes any due job, so no other test's jobs may be in it. */
    async function jobStore(label: string) {
      const store = await open(await freshConfig(label));
      const context = await store.contexts.put({ id: uniqueId('jobs'), text: 'text' });
      return { store, contextId: context.id };
    }

    it('coalesces pending jobs per key: a re-enqueue moves runAfter later and adds no job', async () => {
      const { store, contextId } = await jobStore('jobs-coalesce');
      const first = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: `sleep:${contextId}`, runAfter: at(30_000), now: at(0) });
      expect(first).toMatchObject({ coalesced: false, job: { status: 'pending', attempts: 0, maxAttempts: 3, runId: null } });
      for (let write = 1; write <= 5; write += 1) {
        const again = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: `sleep:${contextId}`, runAfter: at(30_000 + write * 1000), now: at(write * 1000) });
        expect(again).toMatchObject({ coalesced: true, job: { id: first.job.id } });
      }
      const jobs = await store.jobs.list(contextId);
      expect(jobs).toHaveLength(1);
      // runAfter follows the last write.
      expect(jobs[0]).toMatchObject({ runAfter: at(35_000), runId: null });
      expect(await store.jobs.claim({ owner: 'w1', leaseMs: 1000, now: at(34_999) })).toBeUndefined();
      expect(await store.jobs.claim({ owner: 'w1', leaseMs: 1000, now: at(35_000) })).toMatchObject({ id: first.job.id, status: 'running', attempts: 1, leaseOwner: 'w1', leaseExpiresAt: at(36_000) });
      // A write while the job runs starts a new pending job rather than touching the running one.
      const during = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: `sleep:${contextId}`, runAfter: at(40_000), now: at(35_500) });
      expect(during.coalesced).toBe(false);
      await expectStoreError(store.jobs.enqueue({ kind: 'sleep', contextId: 'no-such-context', runAfter: at(0) }), 'context_not_found', 'user');
    });

    it('keeps what an on-demand request asked for when later triggers coalesce with it: its options, its run id, its due time', async () => {
      const { store, contextId } = await jobStore('jobs-coalesce-on-demand');
      const key = `sleep:${contextId}`;
      // A write's quiet period, then an on-demand request with options: due now, with them.
      await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: key, runAfter: at(30_000), now: at(0) });
      const asked = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: key, runAfter: at(1000), runId: 'run-asked', payload: { parallel: 3, maxRewrites: 2 }, now: at(1000) });
      expect(asked.job).toMatchObject({ runAfter: at(1000), runId: 'run-asked', payload: { parallel: 3, maxRewrites: 2 } });
      // A later write neither drops the options nor puts the job off.
      const written = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: key, runAfter: at(32_000), now: at(2000) });
      expect(written).toMatchObject({ coalesced: true, job: { id: asked.job.id, runAfter: at(1000), runId: 'run-asked', payload: { parallel: 3, maxRewrites: 2 } } });
      // A newer request with options replaces them (the latest request wins), keeping the first run id.
      const again = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: key, runAfter: at(3000), runId: 'run-again', payload: { parallel: 2 }, now: at(3000) });
      expect(again.job).toMatchObject({ runAfter: at(1000), runId: 'run-asked', payload: { parallel: 2 } });
    });

    it('lets exactly one of many concurrent claimers win a job', async () => {
      const { store, contextId } = await jobStore('jobs-race');
      const { job } = await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), now: at(0) });
      const claims = await Promise.all(Array.from({ length: 6 }, (_, index) => store.jobs.claim({ owner: `w${index}`, leaseMs: 60_000, now: at(1) })));
      const winners = claims.filter((claimed) => claimed !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]?.id).toBe(job.id);
      expect((await store.jobs.get(job.id))?.leaseOwner).toBe(winners[0]?.leaseOwner);
    });

    it('heartbeats extend the lease; an expired lease is reclaimed by another worker, and the old owner is refused', async () => {
      const { store, contextId } = await jobStore('jobs-lease');
      const { job } = await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), now: at(0) });
      expect(await store.jobs.claim({ owner: 'crashing', leaseMs: 1000, now: at(0) })).toMatchObject({ id: job.id });
      expect(await store.jobs.heartbeat({ jobId: job.id, owner: 'crashing', leaseMs: 1000, now: at(900) })).toBe(true);
      // Still leased (until 1900): nobody else gets it, not even for another context job.
      expect(await store.jobs.claim({ owner: 'rescuer', leaseMs: 1000, now: at(1800) })).toBeUndefined();
      // The owner crashed: no more heartbeats. After expiry the job is claimed again.
      const reclaimed = await store.jobs.claim({ owner: 'rescuer', leaseMs: 1000, now: at(1900) });
      expect(reclaimed).toMatchObject({ id: job.id, leaseOwner: 'rescuer', attempts: 2, status: 'running' });
      expect(await store.jobs.heartbeat({ jobId: job.id, owner: 'crashing', leaseMs: 1000, now: at(1950) })).toBe(false);
      expect(await store.jobs.complete({ jobId: job.id, owner: 'crashing', runId: 'late', now: at(1950) })).toBeUndefined();
      expect(await store.jobs.complete({ jobId: job.id, owner: 'rescuer', runId: 'run-ok', now: at(2000) })).toMatchObject({ status: 'succeeded', runId: 'run-ok', leaseOwner: null });
      expect(await store.jobs.claim({ owner: 'rescuer', leaseMs: 1000, now: at(10_000) })).toBeUndefined();
    });

    it('retries a failed job with the given backoff, at most maxAttempts times, then fails it', async () => {
      const { store, contextId } = await jobStore('jobs-retry');
      const { job } = await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), maxAttempts: 2, now: at(0) });
      await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(0) });
      const retried = await store.jobs.fail({ jobId: job.id, owner: 'w', error: { code: 'upstream_failed', message: 'boom' }, retryDelayMs: 500, now: at(100) });
      expect(retried).toMatchObject({ status: 'pending', attempts: 1, runAfter: at(600), error: { code: 'upstream_failed' } });
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(599) })).toBeUndefined();
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(600) })).toMatchObject({ attempts: 2 });
      const gaveUp = await store.jobs.fail({ jobId: job.id, owner: 'w', error: { code: 'upstream_failed', message: 'again' }, retryDelayMs: 500, now: at(700) });
      expect(gaveUp).toMatchObject({ status: 'failed', attempts: 2, error: { message: 'again' } });
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(100_000) })).toBeUndefined();

      // retry: false fails at once; an expired lease on the last attempt is given up.
      const { job: second } = await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), maxAttempts: 1, now: at(0) });
      await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(200_000) });
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(202_000) })).toBeUndefined();
      expect(await store.jobs.get(second.id)).toMatchObject({ status: 'failed', error: { code: 'lease_expired' } });
      const { job: third } = await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), now: at(0) });
      await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(300_000) });
      expect(await store.jobs.fail({ jobId: third.id, owner: 'w', error: { code: 'context_not_found', message: 'gone' }, retryDelayMs: 0, retry: false, now: at(300_001) })).toMatchObject({ status: 'failed', attempts: 1 });
    });

    it('publishes only if the source version is still current when asked to', async () => {
      const store = await open();
      const context = await store.contexts.put({ id: uniqueId('supersede'), text: 'v1' });
      const run = await store.runs.start({ contextId: context.id, kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 1 });
      await store.contexts.put({ id: context.id, text: 'v2' });
      await expectStoreError(store.runs.complete(run.id, { usage: usage(1, 1, 0), learned: { text: 'old', sourceVersion: 1, onlyIfCurrent: true } }), 'superseded', 'user');
      // Nothing changed: the run is still running and nothing was published.
      expect((await store.runs.get(run.id))?.status).toBe('running');
      expect(await store.learned.latest(context.id)).toBeUndefined();
      const current = await store.runs.start({ contextId: context.id, kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 2 });
      const { learned } = await store.runs.complete(current.id, { usage: usage(1, 1, 0), learned: { text: 'new', sourceVersion: 2, onlyIfCurrent: true } });
      expect(learned).toMatchObject({ sourceVersion: 2, text: 'new' });
    });

    it('publishes under a fence only while the job lease is held by that owner', async () => {
      const { store, contextId } = await jobStore('jobs-fence');
      const { job } = await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), now: at(0) });
      await store.jobs.claim({ owner: 'slow', leaseMs: 1000, now: at(0) });
      const slowRun = await store.runs.start({ contextId, kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 1 });
      // The slow worker's lease expires and another takes the job over.
      expect(await store.jobs.claim({ owner: 'rescuer', leaseMs: 1000, now: at(5000) })).toMatchObject({ id: job.id, leaseOwner: 'rescuer' });
      await expectStoreError(
        store.runs.complete(slowRun.id, { usage: usage(1, 1, 0), learned: { text: 'late', sourceVersion: 1, onlyIfCurrent: true, fence: { jobId: job.id, owner: 'slow' } } }),
        'lease_lost',
        'system',
      );
      expect((await store.runs.get(slowRun.id))?.status).toBe('running');
      expect(await store.learned.latest(contextId)).toBeUndefined();
      const rescueRun = await store.runs.start({ contextId, kind: 'sleep', model: 'test:model', settings: {}, sourceVersion: 1 });
      const { learned } = await store.runs.complete(rescueRun.id, {
        usage: usage(1, 1, 0),
        learned: { text: 'once', sourceVersion: 1, onlyIfCurrent: true, fence: { jobId: job.id, owner: 'rescuer' } },
      });
      expect(learned).toMatchObject({ text: 'once' });
      expect(await store.learned.history(contextId)).toHaveLength(1);
    });

    it('claims one named job, records the run an attempt started, and lists overdue jobs', async () => {
      const { store, contextId } = await jobStore('jobs-by-id');
      const other = (await store.contexts.put({ id: uniqueId('jobs'), text: 'text' })).id;
      const { job: first } = await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), now: at(0) });
      const { job: second } = await store.jobs.enqueue({ kind: 'sleep', contextId: other, runAfter: at(0), now: at(0) });
      const { job: later } = await store.jobs.enqueue({ kind: 'sleep', contextId: other, runAfter: at(10_000), now: at(0) });
      // By id: the second job although the first is older; a job not yet due is not claimed.
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(1), jobId: second.id })).toMatchObject({ id: second.id, status: 'running' });
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(1), jobId: later.id })).toBeUndefined();
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(1), jobId: 'no-such-job' })).toBeUndefined();
      expect((await store.jobs.list(other, { status: 'pending' })).map((job) => job.id)).toEqual([later.id]);
      expect((await store.jobs.list(other, { status: 'running' })).map((job) => job.id)).toEqual([second.id]);
      expect(await store.jobs.list(other)).toHaveLength(2);
      expect(await store.jobs.heartbeat({ jobId: second.id, owner: 'w', leaseMs: 1000, now: at(2), runId: 'run-1' })).toBe(true);
      expect((await store.jobs.get(second.id))?.runId).toBe('run-1');
      // At 2000: the first job has been due for 2000 ms and the second's lease (to 1002) expired.
      expect((await store.jobs.overdue({ pendingGraceMs: 5000, now: at(2000) })).map((job) => job.id)).toEqual([second.id]);
      expect((await store.jobs.overdue({ pendingGraceMs: 1000, now: at(2000) })).map((job) => job.id).sort()).toEqual([first.id, second.id].sort());
      expect(await store.jobs.overdue({ pendingGraceMs: 1000, now: at(2000), limit: 1 })).toHaveLength(1);
    });

    it('caps the running jobs of one tenant: a claim passes over a tenant at its cap to another tenant\'s due job', async () => {
      const { store } = await jobStore('jobs-tenant-cap');
      const tenantA = uniqueId('ta');
      // A's id is a prefix of C's: only the part up to and with the '.' makes a tenant.
      const tenantC = `${tenantA}c`;
      const tenantB = uniqueId('tb');
      const enqueue = async (contextId: string, runAfter: number) => {
        await store.contexts.put({ id: contextId, text: 'text' });
        return (await store.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(runAfter), now: at(0) })).job;
      };
      const aJobs = [await enqueue(`${tenantA}.one`, 0), await enqueue(`${tenantA}.two`, 0), await enqueue(`${tenantA}.three`, 0)];
      const cJob = await enqueue(`${tenantC}.one`, 1);
      const bJob = await enqueue(`${tenantB}.one`, 2);
      // No '.': no tenant (library and CLI use), so no cap.
      const untenanted = [await enqueue(uniqueId('plain'), 3), await enqueue(uniqueId('plain'), 3)];
      const claim = (ms: number, leaseMs = 1000) => store.jobs.claim({ owner: 'w', leaseMs, now: at(ms), maxPerTenant: 1 });

      const first = await claim(10);
      expect(aJobs.map((job) => job.id)).toContain(first?.id);
      expect((await claim(10))?.id).toBe(cJob.id);
      expect((await claim(10))?.id).toBe(bJob.id);
      expect([(await claim(10))?.id, (await claim(10))?.id].sort()).toEqual(untenanted.map((job) => job.id).sort());
      // A, B and C each have a job running: nothing more until one ends.
      expect(await claim(10)).toBeUndefined();
      // Without the cap, A's other jobs are claimed as before.
      expect(await store.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(10), jobId: aJobs.find((job) => job.id !== first?.id)?.id ?? '' })).toBeDefined();
      await expectStoreError(store.jobs.claim({ owner: 'w', leaseMs: 1000, maxPerTenant: 0 }), 'invalid_job', 'system');

      // A fresh round on a store with A's three jobs only: the finished job frees the slot, and so does an expired lease.
      const { store: second } = await jobStore('jobs-tenant-cap-lease');
      const contexts = [`${tenantA}.one`, `${tenantA}.two`, `${tenantA}.three`];
      for (const contextId of contexts) {
        await second.contexts.put({ id: contextId, text: 'text' });
        await second.jobs.enqueue({ kind: 'sleep', contextId, runAfter: at(0), now: at(0) });
      }
      const capped = (ms: number) => second.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(ms), maxPerTenant: 1 });
      const running = await capped(10);
      expect(running).toBeDefined();
      expect(await capped(10)).toBeUndefined();
      await second.jobs.complete({ jobId: running?.id ?? '', owner: 'w', now: at(20) });
      const next = await capped(20);
      expect(next).toBeDefined();
      expect(next?.id).not.toBe(running?.id);
      expect(await capped(1019)).toBeUndefined();
      // next's lease ran out at 1020 (no heartbeat): one A job is claimed again, still only one.
      expect(await capped(1020)).toBeDefined();
      expect(await capped(1020)).toBeUndefined();
    });

    it('keeps the tenant cap under concurrent claimers', async () => {
      const { store } = await jobStore('jobs-tenant-cap-race');
      const tenant = uniqueId('tr');
      for (let index = 0; index < 6; index += 1) {
        const context = await store.contexts.put({ id: `${tenant}.c${index}`, text: 'text' });
        await store.jobs.enqueue({ kind: 'sleep', contextId: context.id, runAfter: at(0), now: at(0) });
      }
      const claims = await Promise.all(Array.from({ length: 6 }, (_, index) => store.jobs.claim({ owner: `w${index}`, leaseMs: 60_000, now: at(1), maxPerTenant: 2 })));
      expect(claims.filter((claimed) => claimed !== undefined)).toHaveLength(2);
    });

    it('defers a held job to a later time without using up an attempt, recording why; fails it instead when another pending job of its key will do the work', async () => {
      const { store, contextId } = await jobStore('jobs-defer');
      const key = `sleep:${contextId}`;
      const limit = { code: 'sleep_token_limit', message: 'out of sleep-time tokens today' };
      const { job } = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: key, runAfter: at(0), runId: 'run-asked', maxAttempts: 1, now: at(0) });
      for (let day = 1; day <= 3; day += 1) {
        expect(await store.jobs.claim({ owner: 'w1', leaseMs: 1000, now: at(day * 86_400_000 - 100_000) })).toMatchObject({ id: job.id, attempts: 1 });
        // Only the holder may defer it.
        expect(await store.jobs.defer({ jobId: job.id, owner: 'w2', runAfter: at(day * 86_400_000), error: limit, now: at(day * 86_400_000 - 99_000) })).toBeUndefined();
        const deferred = await store.jobs.defer({ jobId: job.id, owner: 'w1', runAfter: at(day * 86_400_000), error: limit, now: at(day * 86_400_000 - 99_000) });
        // Three deferrals of a one-attempt job: still pending, attempts given back, run id kept.
        expect(deferred).toMatchObject({ status: 'pending', attempts: 0, runAfter: at(day * 86_400_000), error: limit, leaseOwner: null, runId: 'run-asked' });
        expect(await store.jobs.claim({ owner: 'w1', leaseMs: 1000, now: at(day * 86_400_000 - 1) })).toBeUndefined();
      }
      // Completing it later clears the error.
      await store.jobs.claim({ owner: 'w1', leaseMs: 1000, now: at(3 * 86_400_000) });
      expect(await store.jobs.complete({ jobId: job.id, owner: 'w1', now: at(3 * 86_400_000 + 1) })).toMatchObject({ status: 'succeeded', attempts: 1, error: null });

      // A write while a job runs enqueues another pending job of the key: the held one is not deferred next to it.
      const { job: second } = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: key, runAfter: at(4 * 86_400_000), now: at(4 * 86_400_000) });
      expect(await store.jobs.claim({ owner: 'w1', leaseMs: 1000, now: at(4 * 86_400_000) })).toMatchObject({ id: second.id });
      const { job: third } = await store.jobs.enqueue({ kind: 'sleep', contextId, coalesceKey: key, runAfter: at(4 * 86_400_000 + 30_000), now: at(4 * 86_400_000 + 1) });
      expect(third.id).not.toBe(second.id);
      expect(await store.jobs.defer({ jobId: second.id, owner: 'w1', runAfter: at(5 * 86_400_000), error: limit, now: at(4 * 86_400_000 + 2) })).toMatchObject({ status: 'failed', error: limit });
      expect(await store.jobs.list(contextId, { status: 'pending' })).toMatchObject([{ id: third.id }]);
    });

    it('counts triggers per context and kind atomically', async () => {
      const { store, contextId } = await jobStore('jobs-counters');
      const counts = await Promise.all(Array.from({ length: 8 }, () => store.jobs.countTrigger({ contextId, kind: 'asks' })));
      expect(counts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await store.jobs.countTrigger({ contextId, kind: 'appends' })).toBe(1);
      await expectStoreError(store.jobs.countTrigger({ contextId: 'no-such-context', kind: 'asks' }), 'context_not_found', 'user');
      // Deleting the context deletes its counts: a new context of the same id starts again.
      await store.contexts.delete(contextId);
      await store.contexts.put({ id: contextId, text: 'again' });
      expect(await store.jobs.countTrigger({ contextId, kind: 'asks' })).toBe(1);
    });

    it('keeps pending jobs across close and reopen, and deletes them with their context', async () => {
      const config = await freshConfig('jobs-reopen');
      const first = await open(config);
      const context = await first.contexts.put({ id: uniqueId('jobs'), text: 'text' });
      const { job } = await first.jobs.enqueue({ kind: 'sleep', contextId: context.id, runAfter: at(0), payload: { parallel: 2 }, now: at(0) });
      await first.close();
      const second = await open(config);
      expect(await second.jobs.claim({ owner: 'w', leaseMs: 1000, now: at(1) })).toMatchObject({ id: job.id, payload: { parallel: 2 } });
      await second.contexts.delete(context.id);
      expect(await second.jobs.get(job.id)).toBeUndefined();
    });
  });

  describe('sleep tokens', () => {
    it('adds to a tenant\'s day in one statement, so concurrent adds all count; days and tenants apart', async () => {
      const store = await open();
      const tenant = `${uniqueId('st')}.`;
      const other = `${uniqueId('st')}.`;
      expect(await store.sleepTokens.get({ tenant, day: '2030-01-01' })).toBe(0);
      const counts = await Promise.all(Array.from({ length: 8 }, () => store.sleepTokens.add({ tenant, day: '2030-01-01', tokens: 1000 })));
      expect(counts.sort((a, b) => a - b)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
      expect(await store.sleepTokens.add({ tenant, day: '2030-01-02', tokens: 7 })).toBe(7);
      expect(await store.sleepTokens.add({ tenant: other, day: '2030-01-01', tokens: 0 })).toBe(0);
      // Past 2^31: counts are bigints on both databases.
      expect(await store.sleepTokens.add({ tenant: other, day: '2030-01-01', tokens: 3_000_000_000 })).toBe(3_000_000_000);
      expect(await store.sleepTokens.get({ tenant, day: '2030-01-01' })).toBe(8000);
      expect(await store.sleepTokens.get({ tenant, day: '2030-01-02' })).toBe(7);
      expect(await store.sleepTokens.get({ tenant: other, day: '2030-01-01' })).toBe(3_000_000_000);
    });

    it('keeps a tenant\'s count when its contexts and their runs are deleted', async () => {
      const store = await open();
      const tenant = `${uniqueId('st')}.`;
      const context = await store.contexts.put({ id: `${tenant}notes`, text: 'text' });
      await store.sleepTokens.add({ tenant, day: '2030-01-01', tokens: 500 });
      await store.contexts.delete(context.id);
      expect(await store.sleepTokens.get({ tenant, day: '2030-01-01' })).toBe(500);
    });

    it('refuses negative or fractional tokens and malformed days', async () => {
      const store = await open();
      await expectStoreError(store.sleepTokens.add({ tenant: 't.', day: '2030-01-01', tokens: -1 }), 'invalid_usage', 'system');
      await expectStoreError(store.sleepTokens.add({ tenant: 't.', day: '2030-01-01', tokens: 1.5 }), 'invalid_usage', 'system');
      await expectStoreError(store.sleepTokens.get({ tenant: 't.', day: 'today' }), 'invalid_usage', 'system');
      await expectStoreError(store.sleepTokens.get({ tenant: '', day: '2030-01-01' }), 'invalid_usage', 'system');
    });
  });

  describe('lifecycle', () => {
    it('applies migrations once: opening again, or several at once, keeps working and keeps data', async () => {
      const config = await freshConfig('migrations');
      const stores = await Promise.all([open(config), open(config), open(config)]);
      const id = uniqueId('migrated');
      await stores[0]?.contexts.put({ id, text: 'one' });
      expect((await stores[1]?.contexts.put({ id, text: 'two' }))?.version).toBe(2);
      await Promise.all(stores.map((store) => store.close()));

      const reopened = await open(config);
      expect(await reopened.contexts.get(id)).toMatchObject({ text: 'two', version: 2 });
    });

    it('refuses to work after close()', async () => {
      const store = await open();
      await store.close();
      await expectStoreError(store.contexts.list(), 'store_closed', 'system');
    });

    it('keeps everything across close and reopen', async () => {
      const config = await freshConfig('reopen');
      const first = await open(config);
      const { context, run, learned } = await contextWithLearned(first);
      await first.close();
      await first.close(); // closing twice is harmless

      const second = await open(config);
      expect(await second.contexts.get(context.id)).toEqual(context);
      expect(await second.learned.latest(context.id)).toEqual(learned);
      expect((await second.runs.get(run.id))?.status).toBe('succeeded');
      // Ids keep growing after a reopen.
      const { learned: next } = await contextWithLearned(second);
      expect(next.id).toBeGreaterThan(learned.id);
    });
  });
}
