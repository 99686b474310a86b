/**
 * Repository contexts over HTTP. A tenant must not point the server at an arbitrary path of its
 * disk: `metadata.repository` is refused (403 repository_not_allowed) unless the server was given
 * repositories roots (`serve --repositories-root DIR`) and the repository lies under one. Allowed,
 * the context sleeps as the engine sleeps any repository context (a job explores a worktree of
 * its commit), and asks through the API say whether the notes are fresh.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, createModel, openStore, type Store } from '@sleeptime/core';
import { renderRepositoryContext } from '@sleeptime/core/repository';
import {
  createSqliteTestLocation,
  createTestGitRepository,
  isPrefixWarmUp,
  startScriptedOpenAIServer,
  type RecordedRequest,
  type ScriptedOpenAIServer,
  type ScriptedReply,
  type TestGitRepository,
  type TestStoreLocation,
} from '@sleeptime/core/testing';
import { issueApiKey } from '../tenancy/api-keys.js';
import { createJobWorker, type JobWorker } from '../jobs/job-worker.js';
import { createServerApp } from './app.js';
import { waitForStoredRun } from './server-test-support.js';

const notes = 'CSV parsing lives in src/parser.ts (parseCsv); new formats go beside it.';

/** The sleep-time agent reads a file, writes its notes and finishes; asks get a short answer. */
function upstreamScript(request: RecordedRequest): ScriptedReply {
  if (isPrefixWarmUp(request)) return { text: '.', usage: { prompt_tokens: 1, completion_tokens: 1 } };
  if ((request.body.tools?.length ?? 0) === 0) return { text: 'In src/parser.ts.', usage: { prompt_tokens: 10, completion_tokens: 4 } };
  const toolMessages = request.body.messages?.filter((message) => message.role === 'tool').length ?? 0;
  if (toolMessages === 0) return { toolCalls: [{ name: 'read_file', arguments: { path: 'src/parser.ts' } }], usage: { prompt_tokens: 30, completion_tokens: 5 } };
  if (toolMessages === 1) return { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: notes } }], usage: { prompt_tokens: 40, completion_tokens: 12 } };
  return { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 50, completion_tokens: 1 } };
}

let repository: TestGitRepository;
let firstCommit: string;
let upstream: ScriptedOpenAIServer;
let location: TestStoreLocation;
let store: Store;
let worker: JobWorker;
let key: string;

beforeAll(async () => {
  repository = await createTestGitRepository({ name: 'demo' });
  firstCommit = await repository.commit('Add a CSV parser', { 'README.md': '# demo\n', 'src/parser.ts': 'export const parseCsv = (text: string) => text.split(",");\n' });
  upstream = await startScriptedOpenAIServer(upstreamScript);
  location = await createSqliteTestLocation('repository-contexts');
  store = await openStore(location.config);
  const model = () => createModel('openai-compatible:scripted', { baseUrl: upstream.baseUrl, retry: { maxAttempts: 1 } });
  // The job runner's engine trusts the store: what a tenant could write there was checked on the put.
  worker = createJobWorker({ store, engine: createEngine({ store, model }), pollIntervalMs: 10, retryBaseDelayMs: 60_000 });
  worker.start();
  key = (await issueApiKey(store, { tenantName: 'tenant-a' })).key;
});
afterAll(async () => {
  await worker.stop();
  await upstream.close();
  await store.close();
  await location.remove();
  await repository.remove();
});

function serverWith(repositoryRoots?: string[]) {
  const model = () => createModel('openai-compatible:scripted', { baseUrl: upstream.baseUrl, retry: { maxAttempts: 1 } });
  const app = createServerApp({ store, model, ...(repositoryRoots === undefined ? {} : { repositoryRoots }), triggers: { quietPeriodMs: 3_600_000, onEnqueued: () => worker.wake() } });
  return async (method: string, url: string, body?: unknown) => {
    const response = await app.request(url, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

async function repositoryPutBody() {
  const rendering = await renderRepositoryContext({ repository: repository.dir });
  return { text: rendering.text, metadata: { repository: { path: rendering.repository, ref: rendering.ref, commit: rendering.commit } } };
}

afterEach(async () => {
  await repository.git('reset', '--quiet', '--hard', firstCommit);
});

describe('repository contexts over HTTP', () => {
  it('refuses metadata.repository on a server without repositories roots, and writes nothing', async () => {
    const call = serverWith();
    const put = await call('PUT', '/v1/contexts/repo', await repositoryPutBody());
    expect(put.status).toBe(403);
    expect(put.body.error).toMatchObject({ code: 'repository_not_allowed', message: expect.stringContaining('--repositories-root') });
    expect((await call('GET', '/v1/contexts/repo')).status).toBe(404);
    // Other metadata is as it was.
    expect((await call('PUT', '/v1/contexts/plain', { text: 'Notes.', metadata: { owner: 'x' } })).status).toBe(201);
  });

  it('refuses a repository outside the roots, in the same words whether or not the folder exists', async () => {
    const root = path.join(path.dirname(repository.dir), 'elsewhere');
    await mkdir(root, { recursive: true });
    const call = serverWith([root]);
    const outside = await call('PUT', '/v1/contexts/repo', await repositoryPutBody());
    const body = await repositoryPutBody();
    const missing = await call('PUT', '/v1/contexts/repo', { ...body, metadata: { repository: { ...body.metadata.repository, path: '/etc/nothing-here' } } });
    expect(outside.status).toBe(403);
    expect(missing.status).toBe(403);
    expect((missing.body.error as { message: string }).message).toBe((outside.body.error as { message: string }).message);
  });

  it('takes a repository under a root: a job explores it and publishes the notes, and an ask says when they are stale', async () => {
    const call = serverWith([path.dirname(repository.dir)]);
    const put = await call('PUT', '/v1/contexts/repo', await repositoryPutBody());
    expect(put.status).toBe(201);
    const sleep = await call('POST', '/v1/contexts/repo/sleep', {});
    expect(sleep.status).toBe(202);
    const run = await waitForStoredRun(store, String(sleep.body.id), 20_000);
    expect(run).toMatchObject({ status: 'succeeded', settings: { promptStyle: 'repository' } });
    const readRequest = upstream.requests.find((request) => request.body.messages?.some((message) => message.role === 'tool' && JSON.stringify(message.content).includes('parseCsv')));
    expect(readRequest).toBeDefined();

    const fresh = await call('POST', '/v1/contexts/repo/ask', { question: 'Where does CSV parsing live?' });
    expect(fresh.body).toMatchObject({ fresh: true });

    await repository.commit('Add a JSON parser', { 'src/json.ts': 'export const parseJson = JSON.parse;\n' });
    expect((await call('PUT', '/v1/contexts/repo', await repositoryPutBody())).body).toMatchObject({ version: 2 });
    const stale = await call('POST', '/v1/contexts/repo/ask', { question: 'Where does JSON parsing live?' });
    expect(stale.body).toMatchObject({ fresh: false, learnedSourceVersion: 1, contextVersion: 2 });
  });
});
