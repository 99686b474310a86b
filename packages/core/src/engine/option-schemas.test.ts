import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { createEngine } from './engine.js';
import { appendContentSchema, contextContentSchema } from './option-schemas.js';

/** What the first issue of a failed parse says: its stable code (params) and message. */
function refusal(result: { success: boolean; error?: { issues: { params?: unknown; message: string }[] } }) {
  const issue = result.error?.issues[0];
  return { success: result.success, code: (issue?.params as { code?: string } | undefined)?.code, message: issue?.message };
}

describe('content schemas keep input exactly or refuse it', () => {
  it('refuses a lone surrogate in the text and the separator, and keeps a well-formed pair', () => {
    // As JSON.parse makes them from `\ud800` escapes.
    expect(refusal(contextContentSchema.safeParse(JSON.parse('{"text":"a\\ud800b"}')))).toMatchObject({ success: false, code: 'invalid_text' });
    expect(refusal(contextContentSchema.safeParse({ text: 'x\udc00' })).message).toContain('\\udc00 at character 1');
    expect(refusal(appendContentSchema.safeParse({ text: 'ok', separator: '\ud800' }))).toMatchObject({ success: false, code: 'invalid_text' });
    expect(contextContentSchema.parse({ text: 'smile 😀' }).text).toBe('smile 😀');
  });

  it.each([
    ['__proto__ at the top', '{"text":"t","metadata":{"__proto__":{"admin":true}}}', '"__proto__"'],
    ['__proto__ nested', '{"text":"t","metadata":{"a":[{"b":{"__proto__":1}}]}}', 'metadata.a[0].b'],
    ['constructor', '{"text":"t","metadata":{"constructor":"x"}}', '"constructor"'],
    ['prototype', '{"text":"t","metadata":{"a":{"prototype":"x"}}}', '"prototype"'],
    ['a lone surrogate in a value', '{"text":"t","metadata":{"a":"\\ud800"}}', 'surrogate'],
    ['a lone surrogate in a key', '{"text":"t","metadata":{"\\udfff":1}}', 'surrogate'],
  ])('refuses metadata with %s', (_name, body, named) => {
    const result = refusal(contextContentSchema.safeParse(JSON.parse(body)));
    expect(result).toMatchObject({ success: false, code: 'invalid_metadata' });
    expect(result.message).toContain(named);
  });

  it('keeps ordinary metadata exactly and checks metadata nested deeper than the call stack', () => {
    const metadata = { a: [1, { b: 'c' }], proto: '__proto__', nested: { constructorName: 'x' } };
    expect(contextContentSchema.parse({ text: 't', metadata }).metadata).toEqual(metadata);
    const deep = JSON.parse(`{"text":"t","metadata":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`) as unknown;
    expect(contextContentSchema.safeParse(deep).success).toBe(true);
  });

  it('makes the engine refuse them with the same codes, before anything is stored', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-schemas-'));
    const store = await openStore({ kind: 'sqlite', dataDir });
    try {
      const engine = createEngine({ store, model: () => Promise.reject(new Error('no model in this test')) });
      const badText = await sleeptimeErrorOf(engine.putContext({ id: 'c', text: 'a\ud800' }));
      expect({ code: badText.code, category: badText.category }).toEqual({ code: 'invalid_text', category: 'user' });
      const badMetadata = await sleeptimeErrorOf(engine.putContext({ id: 'c', ...(JSON.parse('{"text":"t","metadata":{"__proto__":{}}}') as { text: string }) }));
      expect(badMetadata.code).toBe('invalid_metadata');
      await engine.putContext({ id: 'c', text: 'fine' });
      expect((await sleeptimeErrorOf(engine.appendContext({ id: 'c', text: '\udbff' }))).code).toBe('invalid_text');
      expect((await engine.getContext('c')).text).toBe('fine');
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
