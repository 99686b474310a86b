/**
 * The OpenAI-compatible scorer against a small HTTP server on 127.0.0.1 that answers like vLLM's
 * `/v1/completions` with `echo` and `logprobs`: the prompt split into whitespace-led word tokens,
 * token i of the prompt given log-probability -(i / 10) (the first none), one generated token after.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import { queryLogProbabilityFromEcho, scoreWithOpenAiCompatibleServer } from './openai-compatible-query-scorer.js';
import type { PredictabilityItem } from './predictability-item.js';
import { readPredictabilityRows, writePredictabilityRows } from './predictability-rows-file.js';
import { queryScoringModelFromSpec, scoreQueryLogProbability } from './score-query-log-probability.js';

interface RecordedRequest {
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

type Handler = (request: RecordedRequest, index: number, response: ServerResponse) => void;

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function startServer(handler: Handler): Promise<{ baseUrl: string; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      // The model list, as vLLM serves it (no provenance declared): scoreQueryLogProbability asks it first.
      if (request.method === 'GET' && request.url === '/v1/models') {
        answer(response, 200, { object: 'list', data: [{ id: 'base', object: 'model', owned_by: 'vllm' }] });
        return;
      }
      const recorded = { url: request.url ?? '', headers: request.headers, body: JSON.parse(text) as Record<string, unknown> };
      requests.push(recorded);
      handler(recorded, requests.length - 1, response);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v1`, requests };
}

/** vLLM-shaped echo: offsets in code points, as Python counts. */
function vllmEcho(prompt: string, options: { withUsage?: boolean } = {}): object {
  const characters = [...prompt];
  const tokens: string[] = [];
  const offsets: number[] = [];
  let position = 0;
  for (const match of prompt.matchAll(/\s*\S+/gu)) {
    tokens.push(match[0]);
    offsets.push(position);
    position += [...match[0]].length;
  }
  const logprobs = tokens.map((_, index) => (index === 0 ? null : -index / 10));
  return {
    id: 'cmpl-1',
    object: 'text_completion',
    model: 'base',
    choices: [
      {
        index: 0,
        text: `${prompt} 7`,
        logprobs: {
          tokens: [...tokens, ' 7'],
          token_logprobs: [...logprobs, -0.01],
          text_offset: [...offsets, characters.length],
          top_logprobs: [...tokens, ' 7'].map((token) => ({ [token]: -0.01 })),
        },
        finish_reason: 'length',
      },
    ],
    ...(options.withUsage === false ? {} : { usage: { prompt_tokens: tokens.length, completion_tokens: 1, total_tokens: tokens.length + 1 } }),
  };
}

function answer(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const PENS: PredictabilityItem = { dataset: 'gsm', itemId: 'pens', context: 'Tom has 5 pens.', query: 'How many pens?' };

describe('scoreWithOpenAiCompatibleServer', () => {
  it('sends the echo request and sums the log-probabilities of the query tokens only', async () => {
    const { baseUrl, requests } = await startServer((request, _index, response) => answer(response, 200, vllmEcho(String(request.body.prompt))));
    const rows = await scoreWithOpenAiCompatibleServer([PENS], { baseUrl, model: 'base', apiKey: 'secret' });
    // Tokens: Tom | ␣has | ␣5 | ␣pens. | ␣How | ␣many | ␣pens? ; the query is tokens 4-6: -0.4 - 0.5 - 0.6.
    expect(rows).toHaveLength(1);
    expect(rows[0]?.logProbability).toBeCloseTo(-1.5, 12);
    expect(rows[0]).toMatchObject({ dataset: 'gsm', itemId: 'pens', model: 'openai-compatible:base', queryTokens: 3 });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe('/v1/completions');
    expect(requests[0]?.headers.authorization).toBe('Bearer secret');
    expect(requests[0]?.body).toEqual({ model: 'base', prompt: 'Tom has 5 pens. How many pens?', max_tokens: 1, echo: true, logprobs: 1, temperature: 0 });
  });

  it('finds the prompt tokens from text offsets when the server reports no usage, counting code points', async () => {
    const { baseUrl } = await startServer((request, _index, response) => answer(response, 200, vllmEcho(String(request.body.prompt), { withUsage: false })));
    // The emoji is one code point but two UTF-16 units: offsets must not drift.
    const item = { dataset: 'gsm', itemId: 'emoji', context: 'I 😀 love 𝔁 cake.', query: 'Why so?' };
    const [row] = await scoreWithOpenAiCompatibleServer([item], { baseUrl, model: 'base' });
    // Tokens: I | ␣😀 | ␣love | ␣𝔁 | ␣cake. | ␣Why | ␣so? ; the query is tokens 5-6.
    expect(row?.queryTokens).toBe(2);
    expect(row?.logProbability).toBeCloseTo(-1.1, 12);
  });

  it('keeps the input order with several requests in flight', async () => {
    const { baseUrl, requests } = await startServer((request, index, response) => {
      // Later requests answer first.
      setTimeout(() => answer(response, 200, vllmEcho(String(request.body.prompt))), 40 - index * 10);
    });
    const items = [1, 2, 3, 4].map((words) => ({ dataset: 'gsm', itemId: `q${words}`, context: 'A b.', query: Array(words).fill('x').join(' ') }));
    const rows = await scoreWithOpenAiCompatibleServer(items, { baseUrl, model: 'base', concurrency: 4 });
    expect(rows.map((row) => [row.itemId, row.queryTokens])).toEqual([
      ['q1', 1],
      ['q2', 2],
      ['q3', 3],
      ['q4', 4],
    ]);
    expect(requests).toHaveLength(4);
  });

  it('retries a 429 after the server’s Retry-After, and gives up at once on a 400', async () => {
    const retried = await startServer((request, index, response) =>
      index === 0 ? answer(response, 429, { error: { message: 'slow down' } }, { 'retry-after': '0' }) : answer(response, 200, vllmEcho(String(request.body.prompt))),
    );
    const rows = await scoreWithOpenAiCompatibleServer([PENS], { baseUrl: retried.baseUrl, model: 'base' });
    expect(rows[0]?.logProbability).toBeCloseTo(-1.5, 12);
    expect(retried.requests).toHaveLength(2);
    await new Promise<void>((resolve) => server?.close(() => resolve()));

    const refused = await startServer((_request, _index, response) => answer(response, 400, { error: { message: 'echo is not supported' } }));
    const error = await scoreWithOpenAiCompatibleServer([PENS], { baseUrl: refused.baseUrl, model: 'base' }).catch((caught: unknown) => caught);
    expect(SleeptimeError.isInstance(error) && error.code).toBe('predictability_server_error');
    expect(SleeptimeError.isInstance(error) && error.message).toContain('echo is not supported');
    expect(refused.requests).toHaveLength(1);
  });

  it('explains a server that returns no prompt log-probabilities', async () => {
    const { baseUrl } = await startServer((_request, _index, response) =>
      answer(response, 200, { choices: [{ index: 0, text: ' 7', logprobs: null }], usage: { prompt_tokens: 7 } }),
    );
    const error = await scoreWithOpenAiCompatibleServer([PENS], { baseUrl, model: 'base' }).catch((caught: unknown) => caught);
    expect(SleeptimeError.isInstance(error) && error.code).toBe('predictability_no_prompt_logprobs');
  });

  it('runs through scoreQueryLogProbability with a spec', async () => {
    const { baseUrl } = await startServer((request, _index, response) => answer(response, 200, vllmEcho(String(request.body.prompt))));
    const scorer = queryScoringModelFromSpec('openai-compatible:base', { baseUrl });
    const rows = await scoreQueryLogProbability([PENS], { scorer, separator: '\n' });
    // With a newline the split tokens are the same words: Tom | ␣has | ␣5 | ␣pens. | \nHow | ␣many | ␣pens?
    expect(rows[0]).toMatchObject({ model: 'openai-compatible:base', queryTokens: 3, provenance: { kind: 'real', source: 'server' } });
    expect(rows[0]?.logProbability).toBeCloseTo(-1.5, 12);
    const stated = await scoreQueryLogProbability([PENS], { scorer, separator: '\n', provenance: 'scripted' });
    expect(stated[0]?.provenance).toEqual({ kind: 'scripted', source: 'stated' });
  });
});

describe('queryLogProbabilityFromEcho', () => {
  it('scores a token that straddles the boundary, and skips the first token of an empty context', () => {
    // Prompt "ab cd": context "ab", separator " ", query "cd"; tokens "ab " | "cd" would be clean, "a" | "b c" | "d" straddles.
    const straddling = queryLogProbabilityFromEcho(
      { choices: [{ logprobs: { tokens: ['a', 'b c', 'd', 'x'], token_logprobs: [null, -1, -2, -9], text_offset: [0, 1, 4, 5] } }], usage: { prompt_tokens: 3 } },
      { queryStart: 3, promptLength: 5, itemId: 'i' },
    );
    expect(straddling).toEqual({ logProbability: -3, queryTokens: 2 });
    const emptyContext = queryLogProbabilityFromEcho(
      { choices: [{ logprobs: { tokens: ['Why', '?', '!'], token_logprobs: [null, -0.5, -9], text_offset: [0, 3, 4] } }], usage: { prompt_tokens: 2 } },
      { queryStart: 0, promptLength: 4, itemId: 'i' },
    );
    expect(emptyContext).toEqual({ logProbability: -0.5, queryTokens: 1 });
  });
});

describe('queryScoringModelFromSpec', () => {
  it('accepts llama paths and OpenAI-compatible servers, and refuses the rest', () => {
    expect(queryScoringModelFromSpec('llama:/models/base.gguf')).toEqual({ kind: 'llama', modelPath: '/models/base.gguf' });
    const code = (spec: string, options = {}) => {
      try {
        queryScoringModelFromSpec(spec, options);
        return 'no error';
      } catch (error) {
        return SleeptimeError.isInstance(error) ? error.code : 'other';
      }
    };
    expect(code('openai-compatible:base')).toBe('missing_base_url');
    expect(code('openai:gpt-4o')).toBe('predictability_unsupported_provider');
    expect(code('llama:hf:user/repo:model.gguf')).toBe('predictability_local_model_only');
  });
});

describe('predictability rows file', () => {
  it('round-trips rows and rejects a positive log-probability', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'sleeptime-predictability-rows-'));
    try {
      const rows = [{ dataset: 'gsm', itemId: 'a', model: 'llama:/m.gguf', logProbability: -12.5, queryTokens: 7 }];
      await writePredictabilityRows(join(folder, 'scores.jsonl'), rows);
      expect(await readPredictabilityRows(join(folder, 'scores.jsonl'))).toEqual(rows);
      await writeFile(join(folder, 'bad.jsonl'), `${JSON.stringify({ ...rows[0], logProbability: 0.5 })}\n`);
      const error = await readPredictabilityRows(join(folder, 'bad.jsonl')).catch((caught: unknown) => caught);
      expect(SleeptimeError.isInstance(error) && error.code).toBe('jsonl_malformed');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
