import { afterEach, describe, expect, it } from 'vitest';
import { createServerTestBed, type ServerTestBed } from './server-test-support.js';

let bed: ServerTestBed | undefined;

afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

/** A raw JSON body: `\ud800` escapes and `__proto__` keys arrive exactly as a client sends them. */
async function send(method: string, path: string, rawBody: string) {
  if (bed === undefined) throw new Error('no test bed');
  const response = await bed.call(method, path, { rawBody, headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe('input is kept exactly or refused with a 400 naming the problem', () => {
  it.each([
    ['PUT', '/v1/contexts/notes', '{"text":"Ana has \\ud800 apples."}', 'invalid_text', 'lone UTF-16 surrogate'],
    ['PUT', '/v1/contexts/notes', '{"text":"t","metadata":{"__proto__":{"admin":true}}}', 'invalid_metadata', '"__proto__"'],
    ['PUT', '/v1/contexts/notes', '{"text":"t","metadata":{"a":{"b":[{"__proto__":1}]}}}', 'invalid_metadata', 'metadata.a.b[0]'],
    ['PUT', '/v1/contexts/notes', '{"text":"t","metadata":{"constructor":"x"}}', 'invalid_metadata', '"constructor"'],
    ['POST', '/v1/contexts/notes/append', '{"text":"\\udc00 more"}', 'invalid_text', 'lone UTF-16 surrogate'],
    ['POST', '/v1/contexts/notes/append', '{"text":"more","separator":"\\ud83d"}', 'invalid_text', 'separator'],
    ['POST', '/v1/contexts/notes/ask', '{"question":"How many \\ud800?"}', 'invalid_text', 'question'],
    ['POST', '/v1/chat/completions', '{"model":"m","messages":[{"role":"user","content":"How many \\ud800?"}]}', 'invalid_text', 'lone UTF-16 surrogate'],
    ['POST', '/v1/chat/completions', '{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"\\udfff"}]}]}', 'invalid_text', 'lone UTF-16 surrogate'],
  ])('%s %s %s is a 400 %s', async (method, path, rawBody, code, named) => {
    bed = await createServerTestBed();
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples.', metadata: { kept: true } } });
    const upstreamCalls = bed.upstream.requests.length;
    const { status, body } = await (path === '/v1/chat/completions'
      ? bed.call(method, path, { rawBody, headers: { 'content-type': 'application/json', 'x-sleeptime-context': 'notes' } }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as { error?: { code: string; message: string } },
        }))
      : send(method, path, rawBody));
    expect(bed.upstream.requests.length).toBe(upstreamCalls);
    expect({ status, code: body.error?.code }).toEqual({ status: 400, code });
    expect(body.error?.message).toContain(named);
    // Nothing was written.
    const stored = (await (await bed.call('GET', '/v1/contexts/notes')).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({ text: 'Ana has 3 apples.', metadata: { kept: true }, version: 1 });
  });

  it('keeps well-formed text and ordinary metadata exactly', async () => {
    bed = await createServerTestBed();
    const rawBody = '{"text":"smile \\ud83d\\ude00","metadata":{"proto":"__proto__","a":[{"b":"\\ud83d\\ude00"}]}}';
    expect((await send('PUT', '/v1/contexts/notes', rawBody)).status).toBe(201);
    const stored = (await (await bed.call('GET', '/v1/contexts/notes')).json()) as Record<string, unknown>;
    expect(stored).toMatchObject(JSON.parse(rawBody) as Record<string, unknown>);
  });
});
