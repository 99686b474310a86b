import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonl, writeJsonl } from './jsonl.js';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';


describe('writeJsonl and readJsonl', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sleeptime-jsonl-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips rows, one JSON value a line, creating the folder', async () => {
    const path = join(root, 'nested', 'deeper', 'rows.jsonl');
    const rows = [{ id: 'a', answer: 2.5, text: 'line\nbreak "quoted"' }, { id: 'b', list: [1, 2] }, 7, 'text'];
    await writeJsonl(path, rows);
    expect(await readFile(path, 'utf8')).toBe(`${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
    expect(await readJsonl(path)).toEqual(rows);
    // The temporary file was renamed into place, not left behind.
    expect(await readdir(join(root, 'nested', 'deeper'))).toEqual(['rows.jsonl']);
  });

  it('writes an empty file for no rows, and reads it back as none', async () => {
    const path = join(root, 'empty.jsonl');
    await writeJsonl(path, []);
    expect(await readFile(path, 'utf8')).toBe('');
    expect(await readJsonl(path)).toEqual([]);
  });

  it('replaces an existing file', async () => {
    const path = join(root, 'replaced.jsonl');
    await writeJsonl(path, [1, 2, 3]);
    await writeJsonl(path, [4]);
    expect(await readJsonl(path)).toEqual([4]);
  });

  it('skips blank lines and tolerates CRLF', async () => {
    const path = join(root, 'blank-lines.jsonl');
    await writeFile(path, '{"a":1}\r\n\r\n  \n{"a":2}');
    expect(await readJsonl(path)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('refuses a row with no JSON form', async () => {
    const error = await sleeptimeErrorOf(writeJsonl(join(root, 'undefined.jsonl'), [1, undefined]));
    expect(error.code).toBe('jsonl_unserializable');
    expect(error.message).toContain('Row 2');
  });

  it('names the file and line of a malformed line', async () => {
    const path = join(root, 'bad.jsonl');
    await writeFile(path, '{"a":1}\n{"a":\n');
    const error = await sleeptimeErrorOf(readJsonl(path));
    expect(error.code).toBe('jsonl_malformed');
    expect(error.category).toBe('user');
    expect(error.message).toContain(`${path}, line 2`);
  });

  it('reports a missing file', async () => {
    const path = join(root, 'missing.jsonl');
    const error = await sleeptimeErrorOf(readJsonl(path));
    expect(error.code).toBe('file_not_found');
    expect(error.message).toContain(path);
  });

  it('validates and types rows with a zod schema', async () => {
    const schema = z.object({ id: z.string(), answer: z.number() });
    const path = join(root, 'typed.jsonl');
    await writeJsonl(path, [{ id: 'a', answer: 1, extra: true }]);
    const rows = await readJsonl(path, schema);
    expect(rows).toEqual([{ id: 'a', answer: 1 }]); // unknown keys stripped by z.object
    expect(rows[0]?.answer).toBe(1);

    await writeJsonl(path, [{ id: 'a', answer: 1 }, { id: 'b', answer: 'two' }]);
    const error = await sleeptimeErrorOf(readJsonl(path, schema));
    expect(error.code).toBe('jsonl_malformed');
    expect(error.message).toContain('line 2');
    expect(error.message).toContain('answer');
  });
});
