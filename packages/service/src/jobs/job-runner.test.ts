import { afterEach, describe, expect, it } from 'vitest';
import { SleeptimeError, systemError, upstreamError, userError } from '@sleeptime/core';
import { waitFor } from '@sleeptime/core/testing';
import { createServerTestBed, type ServerTestBed, type ServerTestBedOptions } from '../server/server-test-support.js';
import { isPermanentFailure } from './job-runner.js';

interface WireJob {
  status: string;
  attempts: number;
  runId: string | null;
  error: { code: string; message: string } | null;
}

interface WireRun {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
}

let bed: ServerTestBed | undefined;

afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

async function startBed(options: ServerTestBedOptions): Promise<ServerTestBed> {
  bed = await createServerTestBed(options);
  return bed;
}

/** Puts a context, asks for a sleep and waits for its job to end for good. */
async function sleepUntilJobFails(test: ServerTestBed): Promise<{ job: WireJob; runId: string }> {
  expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Maya drives 240 km.' } })).status).toBe(201);
  const accepted = await test.call('POST', '/v1/contexts/notes/sleep', { body: {} });
  expect(accepted.status).toBe(202);
  const queued = (await accepted.json()) as { id: string; jobId: string };
  const job = await waitFor(
    'the sleep job to fail',
    async () => {
      const current = (await (await test.call('GET', `/v1/jobs/${queued.jobId}`)).json()) as WireJob;
      return current.status === 'failed' ? current : undefined;
    },
    { timeoutMs: 5000, intervalMs: 10 },
  );
  return { job, runId: queued.id };
}

describe('the job runner', () => {
  it('fails a job whose model cannot be built at once, with its reason on the job and on the announced run', async () => {
    let builds = 0;
    const test = await startBed({
      model: () => {
        builds += 1;
        return Promise.reject(upstreamError('model_download_failed', 'Could not download the model hf:example/model.gguf: fetch failed'));
      },
      // Retries come at once, so a retried job would show more attempts before the test looks.
      worker: { retryBaseDelayMs: 1 },
    });
    const { job, runId } = await sleepUntilJobFails(test);
    expect(job).toMatchObject({ attempts: 1, runId, error: { code: 'model_download_failed' } });
    expect(builds).toBe(1);

    const response = await test.call('GET', `/v1/runs/${runId}`);
    expect(response.status).toBe(200);
    const run = (await response.json()) as WireRun;
    expect(run).toMatchObject({ id: runId, status: 'failed', error: { code: 'model_download_failed', message: expect.stringContaining('Could not download') } });
    // A recorded run, listed with the context's runs.
    const runs = (await (await test.call('GET', '/v1/contexts/notes/runs')).json()) as { data: WireRun[] };
    expect(runs.data.map((listed) => `${listed.id}:${listed.status}`)).toEqual([`${runId}:failed`]);
  });

  it('keeps the announced run id resolvable when a transient failure before the run is retried until the job gives up', async () => {
    const test = await startBed({
      model: () => Promise.reject(new Error('connect ECONNREFUSED')),
      worker: { retryBaseDelayMs: 1 },
    });
    const { job, runId } = await sleepUntilJobFails(test);
    expect(job).toMatchObject({ attempts: 3, runId, error: { code: 'model_load_failed' } });
    const run = (await (await test.call('GET', `/v1/runs/${runId}`)).json()) as WireRun;
    expect(run).toMatchObject({ id: runId, status: 'failed', error: { code: 'model_load_failed' } });
  });

  it('records a timed-out job as timed out, on its run and on the job', async () => {
    const test = await startBed({ worker: { jobTimeoutMs: 100 } });
    test.replies.push({ text: 'too late', delayMs: 5000 });
    expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Maya drives 240 km.' } })).status).toBe(201);
    const queued = (await (await test.call('POST', '/v1/contexts/notes/sleep', { body: {} })).json()) as { id: string; jobId: string };
    const run = await waitFor(
      'the timed-out run to fail',
      async () => {
        const current = (await (await test.call('GET', `/v1/runs/${queued.id}`)).json()) as WireRun;
        return current.status === 'failed' ? current : undefined;
      },
      { timeoutMs: 5000, intervalMs: 10 },
    );
    expect(run.error).toMatchObject({ code: 'job_timeout', message: expect.stringContaining('100 ms timeout') });
    const job = (await (await test.call('GET', `/v1/jobs/${queued.jobId}`)).json()) as WireJob;
    // Retried later (the test bed's retries are a minute off): the job says why its attempt ended.
    expect(job).toMatchObject({ status: 'pending', attempts: 1, error: { code: 'job_timeout' } });
  });
});

describe('isPermanentFailure', () => {
  it('is true for user errors and models that cannot be built, also when the engine wrapped them', () => {
    expect(isPermanentFailure(userError('invalid_options', 'parallel must be at most 8'))).toBe(true);
    expect(isPermanentFailure(upstreamError('model_download_failed', 'offline'))).toBe(true);
    const wrapped = systemError('model_load_failed', 'Could not load the model', userError('model_file_not_found', 'No model file at /x.gguf'));
    expect(isPermanentFailure(wrapped)).toBe(true);
  });

  it('is false for failures a retry may fix', () => {
    expect(isPermanentFailure(upstreamError('upstream_timeout', 'timed out'))).toBe(false);
    expect(isPermanentFailure(systemError('model_load_failed', 'Could not load the model', new Error('ECONNREFUSED')))).toBe(false);
    expect(isPermanentFailure(new SleeptimeError({ code: 'store_failed', category: 'system', message: 'disk full' }))).toBe(false);
  });
});
