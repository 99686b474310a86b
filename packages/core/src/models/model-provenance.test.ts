/**
 * Provenance is read from what a model or server says about itself, never from its name: a
 * scripted server is scripted under any model id, a server that says nothing is not, and a server
 * that cannot be asked is unknown.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedOpenAIServer, testModel, scriptedLanguageModel, type ScriptedOpenAIServer } from '../testing/index.js';
import { createModel } from './create-model.js';
import { provenanceFromGgufMetadata, requestServerProvenance } from './model-provenance.js';

const servers: ScriptedOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function scriptedServer(options: { declareProvenance?: boolean } = {}): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer([], options);
  servers.push(server);
  return server;
}

describe('provenance of an OpenAI-compatible model', () => {
  it('is scripted for the scripted server, whatever the model id', async () => {
    const server = await scriptedServer();
    for (const id of ['gpt-4o-mini', 'scripted-model']) {
      const model = await createModel(`openai-compatible:${id}`, { baseUrl: server.baseUrl, env: {} });
      expect(await model.provenance?.()).toMatchObject({ kind: 'scripted', source: 'server' });
    }
    // One question per call, and no chat completion spent on it.
    expect(server.allRequests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v1/models', 'GET /v1/models']);
    expect(server.requests).toHaveLength(0);
  });

  it('is real for a server that answers without declaring anything, even one named "scripted"', async () => {
    const server = await scriptedServer({ declareProvenance: false });
    const model = await createModel('openai-compatible:scripted-model', { baseUrl: server.baseUrl, env: {} });
    expect(await model.provenance?.()).toMatchObject({ kind: 'real', source: 'server' });
  });

  it('is unknown for a server that cannot say, with the reason', async () => {
    const missing = createServer((_request, response) => {
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => missing.listen(0, '127.0.0.1', resolve));
    const { port } = missing.address() as AddressInfo;
    try {
      expect(await requestServerProvenance({ baseUrl: `http://127.0.0.1:${port}/v1`, modelId: 'm' })).toEqual({
        kind: 'unknown',
        source: 'server',
        detail: `GET http://127.0.0.1:${port}/v1/models: status 404`,
      });
    } finally {
      await new Promise((resolve) => missing.close(resolve));
    }
    // Nothing listens there any more.
    expect(await requestServerProvenance({ baseUrl: `http://127.0.0.1:${port}/v1`, modelId: 'm' })).toMatchObject({ kind: 'unknown', source: 'server' });
  });

  it('reads the model’s own entry before the server-wide header', async () => {
    const answer = (headers: Record<string, string>, data: unknown[]) =>
      (async () => new Response(JSON.stringify({ object: 'list', data }), { status: 200, headers })) as unknown as typeof fetch;
    const entry = { id: 'm', sleeptime_provenance: 'random-weights' };
    expect(await requestServerProvenance({ baseUrl: 'http://x/v1', modelId: 'm', fetch: answer({ 'x-sleeptime-provenance': 'scripted' }, [entry]) })).toMatchObject({
      kind: 'random-weights',
    });
    expect(await requestServerProvenance({ baseUrl: 'http://x/v1', modelId: 'other', fetch: answer({ 'x-sleeptime-provenance': 'scripted' }, [entry]) })).toMatchObject({
      kind: 'scripted',
    });
    expect(await requestServerProvenance({ baseUrl: 'http://x/v1', modelId: 'm', fetch: answer({}, [{ id: 'm', sleeptime_provenance: 'made-up' }]) })).toMatchObject({
      kind: 'unknown',
    });
  });
});

describe('provenance of other models', () => {
  it('is real for hosted providers', async () => {
    const model = await createModel('openai:gpt-4o-mini', { env: { OPENAI_API_KEY: 'sk-test' } });
    expect(await model.provenance?.()).toEqual({ kind: 'real', source: 'provider', detail: 'hosted openai model' });
    const anthropic = await createModel('anthropic:claude-sonnet-4-5', { env: { ANTHROPIC_API_KEY: 'sk-test' } });
    expect(await anthropic.provenance?.()).toMatchObject({ kind: 'real', source: 'provider' });
  });

  it('is scripted for the test doubles', async () => {
    expect(await testModel(scriptedLanguageModel([])).provenance?.()).toMatchObject({ kind: 'scripted', source: 'model' });
  });

  it('comes from the GGUF marker: random weights when marked, real without one', () => {
    expect(provenanceFromGgufMetadata({ sleeptime: { provenance: 'random-weights' } })).toMatchObject({ kind: 'random-weights', source: 'model-file' });
    expect(provenanceFromGgufMetadata({ general: { name: 'SmolLM2' } })).toMatchObject({ kind: 'real', source: 'model-file' });
    expect(provenanceFromGgufMetadata({ sleeptime: { provenance: 7 } })).toMatchObject({ kind: 'unknown', source: 'model-file' });
  });
});
