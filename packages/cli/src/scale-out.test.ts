/**
 * Scale-out with real processes: `sleeptime serve` with no workers of its own and two
 * `sleeptime worker` processes, all on one PostgreSQL database (jobs delivered by Graphile Worker),
 * against a scripted OpenAI-compatible upstream. The worker that takes a sleep job is killed with
 * SIGKILL in the middle of the run; the other takes the job over once the lease expires, the run
 * completes there, its learned context is published once, and no context is lost.
 *
 * Needs SLEEPTIME_TEST_DATABASE_URL (`bash scripts/start-test-postgres.sh`); skipped without it,
 * failed when SLEEPTIME_REQUIRE_POSTGRES=1 (as in `.ci/run`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliProcess, type CliProcess } from './cli-test-support.js';
import { openStore } from '@sleeptime/core';
import { createPostgresTestLocation, postgresTestSettings, postgresTestUrlVariable, requirePostgresVariable, type TestStoreLocation } from '@sleeptime/core/testing';
import type { Store } from '@sleeptime/core';
import { waitFor } from '@sleeptime/core/testing';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';

const postgres = postgresTestSettings();
const leaseMs = 2500;
const learnedMemory = 'Inference: the release moved from May 3 to May 17, two weeks later. Likely question: new date -> May 17.';

const isSleepCall = (request: RecordedRequest) => (request.body.tools?.length ?? 0) > 0;

if (postgres.url === undefined && postgres.required) {
  describe('scale-out on postgres', () => {
    it(`has a database because ${requirePostgresVariable}=1`, () => {
      expect.fail(`${requirePostgresVariable}=1 but ${postgresTestUrlVariable} is not set`);
    });
  });
} else if (postgres.url === undefined) {
  console.warn(`scale-out.test.ts: SKIPPED (${postgresTestUrlVariable} is not set)`);
}

describe.skipIf(postgres.url === undefined)('scale-out: a server and two workers on PostgreSQL', () => {
  let location: TestStoreLocation;
  let upstream: ScriptedOpenAIServer;
  let store: Store;
  const processes: CliProcess[] = [];
  /** The first sleep call hangs (until its worker is killed); the rest answer at once. */
  let heldFirstSleepCall = false;

  function script(request: RecordedRequest): ScriptedReply {
    if (!isSleepCall(request)) return { text: 'ok' };
    if (!heldFirstSleepCall) {
      heldFirstSleepCall = true;
      return { delayMs: 120_000, text: 'never sent' };
    }
    const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
    return afterToolResult
      ? { toolCalls: [{ name: 'finish_rethinking', arguments: {} }] }
      : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: learnedMemory } }] };
  }

  beforeAll(async () => {
    location = await createPostgresTestLocation(postgres.url ?? '', 'scale_out');
    upstream = await startScriptedOpenAIServer(script);
  }, 60_000);

  afterAll(async () => {
    for (const running of processes) if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM');
    await Promise.all(processes.map((running) => Promise.race([running.exited, sleep(15_000)])));
    for (const running of processes) if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    await store?.close();
    await upstream?.close();
    await location?.remove();
  }, 60_000);

  it('a sleep job survives kill -9 of its worker: the other worker completes it and publishes once', async () => {
    const config = location.config;
    if (config.kind !== 'postgres') throw new Error('expected a PostgreSQL location');
    const env = { SLEEPTIME_DATABASE_URL: config.url, SLEEPTIME_MODEL: 'openai-compatible:scripted', SLEEPTIME_BASE_URL: upstream.baseUrl };

    const server = startCliProcess(['serve', '--port', '0', '--workers', '0', '--quiet-period-ms', '3600000', '--lease-ms', String(leaseMs)], env);
    processes.push(server);
    const baseUrl = (await server.waitForStdout(/sleeptime serving on (http:\/\/\S+) .*graphile job queue, no sleep workers here/))[1] ?? '';
    const key = /API key \(shown once, keep it\):\n\s+(\S+)/.exec(server.stdout())?.[1];
    expect(key, server.stdout()).toBeDefined();
    const workers: CliProcess[] = [];
    for (let index = 0; index < 2; index += 1) {
      const worker = startCliProcess(['worker', '--lease-ms', String(leaseMs)], env);
      processes.push(worker);
      workers.push(worker);
      await worker.waitForStdout(/sleeptime worker (\d+) running sleep jobs .*graphile job queue/);
    }
    store = await openStore(config);

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });
    const contextIds = ['release-notes', 'kept-1', 'kept-2', 'kept-3'];
    for (const id of contextIds) {
      const put = await api(`/v1/contexts/${id}`, { method: 'PUT', body: JSON.stringify({ text: `${id}: the release moved from May 3 to May 17.` }) });
      expect(put.status).toBe(201);
    }

    const queued = await api('/v1/contexts/release-notes/sleep', { method: 'POST', body: '{}' });
    expect(queued.status).toBe(202);
    const { jobId, id: firstRunId } = (await queued.json()) as { jobId: string; id: string };

    // The first sleep call reached the upstream and hangs there: the run is in the middle.
    await waitFor('the first sleep call', () => (upstream.requests.some(isSleepCall) ? true : undefined), {
      timeoutMs: 30_000,
      details: () => workers.map((worker) => worker.stderr()).join('\n'),
    });
    const running = await store.jobs.get(jobId);
    expect(running).toMatchObject({ status: 'running', attempts: 1 });
    const pid = Number(/:(\d+)\//.exec(running?.leaseOwner ?? '')?.[1]);
    const victim = workers.find((worker) => worker.child.pid === pid);
    const survivor = workers.find((worker) => worker !== victim);
    expect(victim, `lease owner ${running?.leaseOwner}`).toBeDefined();
    victim?.child.kill('SIGKILL');
    expect(await victim?.exited).toBeNull();

    const finished = await waitFor(
      'the job to succeed on the other worker',
      async () => {
        const job = await store.jobs.get(jobId);
        return job?.status === 'succeeded' || job?.status === 'failed' ? job : undefined;
      },
      { timeoutMs: 45_000, details: () => `survivor stderr:\n${survivor?.stderr()}\nserver stderr:\n${server.stderr()}` },
    );
    expect(finished).toMatchObject({ status: 'succeeded', attempts: 2, leaseOwner: null, error: null });
    expect(survivor?.stderr()).toContain(`job ${jobId} (context `);
    expect(survivor?.stderr()).toMatch(/attempt 2\) succeeded/);

    // Stray deliveries (the dead worker's, unlocked; the sweep's) find nothing to do: give them time.
    await sleep(3 * leaseMs);
    const { data: versions } = (await (await api('/v1/contexts/release-notes/learned/history')).json()) as { data: unknown[] };
    expect(versions).toHaveLength(1);
    expect(JSON.stringify(versions[0])).toContain('May 17, two weeks later');

    // The killed attempt's run is closed as lost; the second attempt's run published.
    const runs = await store.runs.list(finished.contextId);
    expect(runs.map((run) => [run.kind, run.status, run.error?.code ?? null])).toEqual([
      ['sleep', 'succeeded', null],
      ['sleep', 'failed', 'worker_lost'],
    ]);
    expect(runs[1]?.id).toBe(firstRunId);
    expect(finished.runId).toBe(runs[0]?.id);
    expect(await store.learned.history(finished.contextId)).toHaveLength(1);

    // No context lost, and no delivery of the finished job left over in Graphile Worker.
    for (const id of contextIds) {
      const read = await api(`/v1/contexts/${id}`);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ id, version: 1 });
    }
    const client = new pg.Client({ connectionString: config.url });
    await client.connect();
    try {
      // Left: one delivery per debounced write of the other contexts, due after the quiet period.
      const left = await client.query<{ key: string; run_at: Date; locked_by: string | null }>('select key, run_at, locked_by from graphile_worker.jobs order by key');
      expect(left.rows.map((row) => row.key.replace(/^sleep:[^.]+\./, ''))).toEqual(['kept-1', 'kept-2', 'kept-3']);
      for (const row of left.rows) {
        expect(row.locked_by).toBeNull();
        expect(row.run_at.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
      }
    } finally {
      await client.end();
    }
  }, 120_000);
});
