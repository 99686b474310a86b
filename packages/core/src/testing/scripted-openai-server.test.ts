import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedOpenAIServer } from './scripted-openai-server.js';
import type { ScriptedOpenAIServer, ScriptedOpenAIServerScript } from './scripted-openai-server.js';

let server: ScriptedOpenAIServer | undefined;

async function start(script: ScriptedOpenAIServerScript): Promise<ScriptedOpenAIServer> {
  server = await startScriptedOpenAIServer(script);
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function post(baseUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body, `[DONE]` excluded. */
async function sseEvents(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  return text
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => block.startsWith('data: ') && block !== 'data: [DONE]')
    .map((block) => JSON.parse(block.slice('data: '.length)) as Record<string, unknown>);
}

interface ChunkChoice {
  delta: { content?: string; tool_calls?: { index: number; id?: string; function: { name?: string; arguments?: string } }[] };
  finish_reason: string | null;
}

describe('startScriptedOpenAIServer', () => {
  it('listens on 127.0.0.1 with a /v1 base URL and lists a model', async () => {
    const { baseUrl, requests, allRequests } = await start([]);
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const response = await fetch(`${baseUrl}/models`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { id: string }[] };
    expect(body.data.map((model) => model.id)).toEqual(['scripted-model']);
    expect(requests).toHaveLength(0);
    expect(allRequests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v1/models']);
  });

  it('answers a non-streamed request with text, tool calls, finish reason and the scripted usage', async () => {
    const { baseUrl, requests } = await start([
      {
        text: 'Thinking aloud.',
        toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: 'x = 2' } }],
        usage: { prompt_tokens: 11, completion_tokens: 7, reasoning_tokens: 3 },
      },
    ]);
    const response = await post(baseUrl, { model: 'm1', messages: [{ role: 'user', content: 'hi' }] }, { authorization: 'Bearer k' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      model: string;
      choices: { message: { content: string; tool_calls: { id: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[];
      usage: Record<string, unknown>;
    };
    expect(body.model).toBe('m1');
    expect(body.choices[0]?.message.content).toBe('Thinking aloud.');
    expect(body.choices[0]?.message.tool_calls[0]?.function).toEqual({ name: 'rethink_memory', arguments: '{"new_memory":"x = 2"}' });
    expect(body.choices[0]?.finish_reason).toBe('tool_calls');
    expect(body.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, completion_tokens_details: { reasoning_tokens: 3 } });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.body.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(requests[0]?.headers.authorization).toBe('Bearer k');
    expect(requests[0]?.stream).toBe(false);
  });

  it('streams text and tool-call arguments in pieces, then a usage chunk when asked', async () => {
    const { baseUrl, requests } = await start([
      {
        text: 'The answer is forty-two.',
        toolCalls: [{ name: 'finish_rethinking', arguments: { done: true, note: 'all good here' } }],
        usage: { prompt_tokens: 20, completion_tokens: 9 },
      },
    ]);
    const response = await post(baseUrl, { model: 'm', messages: [], stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = await sseEvents(response);
    const choices = events.flatMap((event) => (event.choices as ChunkChoice[]) ?? []);
    const textPieces = choices.map((choice) => choice.delta.content).filter((piece) => piece !== undefined && piece !== '');
    expect(textPieces.length).toBeGreaterThan(1);
    expect(textPieces.join('')).toBe('The answer is forty-two.');
    const toolDeltas = choices.flatMap((choice) => choice.delta.tool_calls ?? []);
    expect(toolDeltas[0]?.function.name).toBe('finish_rethinking');
    const argumentPieces = toolDeltas.map((delta) => delta.function.arguments ?? '').filter((piece) => piece !== '');
    expect(argumentPieces.length).toBeGreaterThan(1);
    expect(JSON.parse(argumentPieces.join(''))).toEqual({ done: true, note: 'all good here' });
    expect(choices.at(-1)?.finish_reason).toBe('tool_calls');
    expect(events.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 } });
    expect(requests[0]?.stream).toBe(true);
  });

  it('sends no usage chunk when the request does not ask for one', async () => {
    const { baseUrl } = await start([{ text: 'hi' }]);
    const events = await sseEvents(await post(baseUrl, { messages: [], stream: true }));
    expect(events.some((event) => 'usage' in event)).toBe(false);
  });

  it('sends malformed tool arguments as given', async () => {
    const { baseUrl } = await start([{ toolCalls: [{ name: 'f', arguments: '{"a": ' }] }]);
    const body = (await (await post(baseUrl, { messages: [] })).json()) as {
      choices: { message: { tool_calls: { function: { arguments: string } }[] } }[];
    };
    expect(body.choices[0]?.message.tool_calls[0]?.function.arguments).toBe('{"a": ');
  });

  it('sends scripted errors with an OpenAI-style body and headers', async () => {
    const { baseUrl } = await start([{ status: 429, headers: { 'retry-after': '3' } }, { status: 500, errorMessage: 'boom' }]);
    const first = await post(baseUrl, { messages: [] });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(((await first.json()) as { error: { type: string } }).error.type).toBe('rate_limit_exceeded');
    const second = await post(baseUrl, { messages: [] });
    expect(second.status).toBe(500);
    expect(((await second.json()) as { error: { message: string } }).error.message).toBe('boom');
  });

  it('fails loudly with a 500 when the script runs out', async () => {
    const { baseUrl, requests } = await start([{ text: 'only one' }]);
    expect((await post(baseUrl, { messages: [] })).status).toBe(200);
    const response = await post(baseUrl, { messages: [] });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'no scripted reply left for request #2 (the script has 1 replies)',
    );
    expect(requests).toHaveLength(2);
  });

  it('calls a script function with the request and its index', async () => {
    const { baseUrl } = await start((request, index) => ({ text: `#${index}: ${String(request.body.model)}` }));
    for (const expected of ['#0: a', '#1: b']) {
      const model = expected.slice(-1);
      const body = (await (await post(baseUrl, { model, messages: [] })).json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]?.message.content).toBe(expected);
    }
  });

  it('delays a reply by delayMs', async () => {
    const { baseUrl } = await start([{ text: 'slow', delayMs: 150 }]);
    const started = performance.now();
    expect((await post(baseUrl, { messages: [] })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('destroys the connection for resetConnection', async () => {
    const { baseUrl, requests } = await start([{ resetConnection: true }]);
    await expect(post(baseUrl, { messages: [] })).rejects.toThrow(/fetch failed/);
    expect(requests).toHaveLength(1);
  });

  it('answers unknown routes with a 404 that names the route', async () => {
    const { baseUrl, requests } = await start([]);
    const response = await fetch(`${baseUrl}/responses`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('POST /v1/responses');
    expect(requests).toHaveLength(0);
  });

  it('serves raw completions (POST /v1/completions) from the same script, with vLLM\'s stop_reason', async () => {
    const { baseUrl, requests } = await start([
      { text: 'thinking', finishReason: 'stop', stopReason: '</think>', usage: { prompt_tokens: 12, completion_tokens: 3 } },
      { text: 'raw' },
    ]);
    const response = await fetch(`${baseUrl}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: '<|im_start|>user\nhi<|im_end|>\n', max_tokens: 8, stop: ['</think>'] }),
    });
    expect(await response.json()).toMatchObject({
      object: 'text_completion',
      choices: [{ index: 0, text: 'thinking', finish_reason: 'stop', stop_reason: '</think>' }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
    expect(requests[0]).toMatchObject({ path: '/v1/completions', body: { prompt: '<|im_start|>user\nhi<|im_end|>\n', stop: ['</think>'] } });
    const streamed = await fetch(`${baseUrl}/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'x', stream: true }) });
    expect(streamed.status).toBe(400);
    expect(requests).toHaveLength(1);
  });

  it('closes promptly even with a slow reply pending', async () => {
    const { baseUrl } = await start([{ text: 'never', delayMs: 60_000 }]);
    const pending = post(baseUrl, { messages: [] }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await server?.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
