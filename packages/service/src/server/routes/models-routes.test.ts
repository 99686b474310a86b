/** `GET /v1/models` through the official `openai` client, as chat UIs call it before anything else. */
import OpenAI, { AuthenticationError, NotFoundError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../http-server.js';
import { createServerTestBed, type ServerTestBed } from '../server-test-support.js';
import { listedModelName } from './models-routes.js';

let bed: ServerTestBed;
let server: RunningHttpServer;
let client: OpenAI;

beforeEach(async () => {
  bed = await createServerTestBed({ modelName: 'llama:/home/ana/models/SmolLM2-135M-Instruct.Q4_1.gguf' });
  server = await startHttpServer(bed.app, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: bed.keyA, maxRetries: 0 });
});

afterEach(async () => {
  await server.close();
  await bed.close();
});

describe('GET /v1/models', () => {
  it('lists the configured model (a local file by its name) and the alias sleeptime, without loading the model', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((model) => model.id)).toEqual(['sleeptime', 'llama:SmolLM2-135M-Instruct.Q4_1.gguf']);
    for (const model of models) {
      expect(model).toMatchObject({ object: 'model', owned_by: 'sleeptime' });
      expect(Number.isInteger(model.created)).toBe(true);
    }
    expect(bed.upstream.allRequests).toHaveLength(0);
  });

  it('retrieves a listed model, and answers 404 for another', async () => {
    expect(await client.models.retrieve('llama:SmolLM2-135M-Instruct.Q4_1.gguf')).toMatchObject({ id: 'llama:SmolLM2-135M-Instruct.Q4_1.gguf', object: 'model' });
    expect(await client.models.retrieve('sleeptime')).toMatchObject({ id: 'sleeptime' });
    // Ids with '/' arrive encoded.
    const response = await bed.call('GET', `/v1/models/${encodeURIComponent('llama:SmolLM2-135M-Instruct.Q4_1.gguf')}`);
    expect(response.status).toBe(200);
    const missing = await client.models.retrieve('gpt-4o').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).message).toContain('No model "gpt-4o" here');
  });

  it('needs an API key like every route', async () => {
    const anonymous = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('names models by spec, hiding only local folders', () => {
    expect(listedModelName('openai:gpt-4o-mini')).toBe('openai:gpt-4o-mini');
    expect(listedModelName('llama:hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M')).toBe('llama:hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M');
    expect(listedModelName('llama:C:\\models\\x.gguf')).toBe('llama:x.gguf');
    expect(listedModelName('llama:./x.gguf')).toBe('llama:x.gguf');
  });
});
