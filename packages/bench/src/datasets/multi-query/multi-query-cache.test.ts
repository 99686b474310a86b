import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import { MultiQueryCacheWriter, readMultiQueryCache } from './multi-query-cache.js';
import type { MultiQueryCacheRecord } from './multi-query-types.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-multi-query-cache-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function record(contextId: string, padding = ''): MultiQueryCacheRecord {
  return {
    version: 1,
    contextId,
    seed: 1,
    model: 'openai-compatible:scripted',
    questionsPerContext: 2,
    modelCalls: 1,
    rows: [
      {
        id: `${contextId}/q0`,
        contextId,
        template: 'p1/0001',
        context: `Context of ${contextId}.${padding}`,
        query: 'How many?',
        answer: 3,
        expression: null,
        modelAnswer: null,
        modelSolution: null,
        original: true,
      },
    ],
    rejections: [{ contextId, attempt: 1, reason: 'malformed', detail: 'not JSON' }],
  };
}

describe('the multi-query cache', () => {
  it('reads a missing file as empty', async () => {
    expect(await readMultiQueryCache(join(directory, 'none.jsonl'))).toEqual({
      records: [],
      completeBytes: 0,
      tornLineDropped: false,
    });
  });

  it('reads back what was appended, in order, creating the folder', async () => {
    const path = join(directory, 'nested', 'cache.jsonl');
    const writer = new MultiQueryCacheWriter(path, { completeBytes: 0, tornLineDropped: false });
    await writer.append(record('a'));
    await writer.append(record('b'));
    const contents = await readMultiQueryCache(path);
    expect(contents.records).toEqual([record('a'), record('b')]);
    expect(contents.tornLineDropped).toBe(false);
  });

  it('drops a torn last line on read and cuts it off before the next append', async () => {
    const path = join(directory, 'cache.jsonl');
    const complete = `${JSON.stringify(record('a'))}\n`;
    const torn = JSON.stringify(record('b')).slice(0, 40);
    await writeFile(path, complete + torn, 'utf8');

    const contents = await readMultiQueryCache(path);
    expect(contents.records.map((item) => item.contextId)).toEqual(['a']);
    expect(contents.tornLineDropped).toBe(true);
    expect(contents.completeBytes).toBe(Buffer.byteLength(complete));

    await new MultiQueryCacheWriter(path, contents).append(record('c'));
    expect(await readFile(path, 'utf8')).toBe(`${complete}${JSON.stringify(record('c'))}\n`);
    expect((await readMultiQueryCache(path)).records.map((item) => item.contextId)).toEqual(['a', 'c']);
  });

  it('refuses a broken line that is not the last one, naming it', async () => {
    const path = join(directory, 'cache.jsonl');
    await writeFile(path, `${JSON.stringify(record('a'))}\n{"oops"\n${JSON.stringify(record('b'))}\n`, 'utf8');
    const error = await readMultiQueryCache(path).catch((caught: unknown) => caught);
    expect(SleeptimeError.isInstance(error) && error.code).toBe('multi_query_cache_malformed');
    expect((error as Error).message).toContain('line 2');

    await writeFile(path, `${JSON.stringify({ ...record('a'), version: 2 })}\n`, 'utf8');
    const wrongShape = await readMultiQueryCache(path).catch((caught: unknown) => caught);
    expect(SleeptimeError.isInstance(wrongShape) && wrongShape.code).toBe('multi_query_cache_malformed');
  });

  it('loses no record when appends overlap, even right after cutting a torn line', async () => {
    const path = join(directory, 'cache.jsonl');
    await writeFile(path, `${JSON.stringify(record('first'))}\n{"version":1,"cont`, 'utf8');
    const writer = new MultiQueryCacheWriter(path, await readMultiQueryCache(path));
    const ids = Array.from({ length: 20 }, (_, index) => `context-${index}`);
    await Promise.all(ids.map((id) => writer.append(record(id, 'x'.repeat(50_000)))));
    const contents = await readMultiQueryCache(path);
    expect(contents.tornLineDropped).toBe(false);
    expect(contents.records.map((item) => item.contextId)).toEqual(['first', ...ids]);
  });
});
