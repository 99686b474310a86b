/**
 * `sleeptime worker` as a real child process on a SQLite folder (the embedded queue; PostgreSQL
 * with Graphile Worker is `src/jobs/scale-out.test.ts`), against a scripted upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSleepTriggers } from '@sleeptime/service';
import { openStore } from '@sleeptime/core';
import { waitFor } from '@sleeptime/core/testing';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { runCli, startCliProcess, temporaryDirectory } from './cli-test-support.js';

function script(request: RecordedRequest): ScriptedReply {
  if ((request.body.tools?.length ?? 0) === 0) return { text: 'ok' };
  const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
  return afterToolResult
    ? { toolCalls: [{ name: 'finish_rethinking', arguments: {} }] }
    : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: 'learned by the worker process' } }] };
}

describe('sleeptime worker', () => {
  let upstream: ScriptedOpenAIServer;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    upstream = await startScriptedOpenAIServer(script);
    dataDir = await temporaryDirectory('worker');
    env = { SLEEPTIME_DATA_DIR: dataDir, SLEEPTIME_MODEL: 'openai-compatible:scripted', SLEEPTIME_BASE_URL: upstream.baseUrl };
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('runs the sleep jobs of a SQLite folder and stops cleanly on SIGTERM, handing nothing half done', async () => {
    const store = await openStore({ kind: 'sqlite', dataDir });
    try {
      await store.contexts.put({ id: 'notes', text: 'The meeting moved to Thursday.' });
      const job = await createSleepTriggers({ jobs: store.jobs }).onDemand('notes');
      const worker = startCliProcess(['worker', '--lease-ms', '5000'], env);
      await waitFor('the worker to finish the job', async () => ((await store.jobs.get(job.id))?.status === 'succeeded' ? true : undefined), {
        timeoutMs: 60_000,
        details: () => `stdout: ${worker.stdout()}\nstderr: ${worker.stderr()}`,
      });
      expect(worker.stdout()).toMatch(/sleeptime worker \d+ running sleep jobs \(model openai-compatible:scripted; sqlite store; embedded job queue; concurrency 1\)/);
      expect(worker.stderr()).toContain(`job ${job.id} (context notes, attempt 1) succeeded run ${job.runId}`);
      expect((await store.learned.latest('notes'))?.text).toBe('learned by the worker process');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.stderr()).toContain('Shutting down');
    } finally {
      await store.close();
    }
  }, 90_000);

  it("leaves a tenant's sleep job for the next UTC day once the tenant spent --max-sleep-tokens-per-tenant-per-day, calling no model", async () => {
    const store = await openStore({ kind: 'sqlite', dataDir });
    try {
      await store.contexts.put({ id: 't1.notes', text: 'The meeting moved to Thursday.' });
      const today = new Date().toISOString().slice(0, 10);
      await store.sleepTokens.add({ tenant: 't1.', day: today, tokens: 1000 });
      const requestsBefore = upstream.requests.length;
      const job = await createSleepTriggers({ jobs: store.jobs }).onDemand('t1.notes');
      const worker = startCliProcess(['worker', '--lease-ms', '5000', '--max-sleep-tokens-per-tenant-per-day', '1000'], env);
      try {
        const deferred = await waitFor('the worker to defer the job', async () => ((await store.jobs.get(job.id))?.error?.code === 'sleep_token_limit' ? store.jobs.get(job.id) : undefined), {
          timeoutMs: 60_000,
          details: () => `stdout: ${worker.stdout()}\nstderr: ${worker.stderr()}`,
        });
        expect(deferred).toMatchObject({ status: 'pending', attempts: 0, runAfter: new Date(Date.parse(`${today}T00:00:00.000Z`) + 86_400_000) });
        await waitFor('the log line', async () => (worker.stderr().includes(`job ${job.id} (context t1.notes, attempt 0) deferred`) ? true : undefined), { timeoutMs: 10_000 });
        expect(worker.stderr()).toContain('sleep_token_limit');
        expect(upstream.requests).toHaveLength(requestsBefore);
      } finally {
        worker.child.kill('SIGTERM');
        expect(await worker.exited).toBe(0);
      }
    } finally {
      await store.close();
    }
  }, 90_000);

  it('refuses an unknown queue and the graphile queue without PostgreSQL, in one line', async () => {
    const unknown = await runCli(['worker', '--queue', 'rabbit'], env);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr.trim()).toBe('sleeptime: --queue must be embedded or graphile, got "rabbit" [invalid_option]');
    const graphile = await runCli(['worker', '--queue', 'graphile'], env);
    expect(graphile.exitCode).toBe(1);
    expect(graphile.stderr.trim().split('\n')).toHaveLength(1);
    expect(graphile.stderr).toContain('needs the PostgreSQL store');
  });
});
