import { createHash } from 'node:crypto';
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleeptimeErrorOf, sleeptimeErrorThrownBy } from '@sleeptime/core/testing';
import { listCachedModels, llamaSourceOf, locateModel, modelFileSha256, removeCachedModel } from './model-cache.js';

const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');

async function folder(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'sleeptime-model-cache-'));
}

describe('the model folder', () => {
  it('lists .gguf files and partial downloads only, hashing complete files as asked', async () => {
    const dir = await folder();
    await writeFile(path.join(dir, 'b.gguf'), 'model b');
    await writeFile(path.join(dir, 'a.GGUF'), 'model a');
    await writeFile(path.join(dir, 'c.gguf.ipull'), 'half of c');
    await writeFile(path.join(dir, 'notes.txt'), 'not a model');

    const kept = await listCachedModels(dir);
    expect(kept.map(({ name, sizeBytes, partial, sha256 }) => ({ name, sizeBytes, partial, sha256 }))).toEqual([
      { name: 'a.GGUF', sizeBytes: 7, partial: false, sha256: null },
      { name: 'b.gguf', sizeBytes: 7, partial: false, sha256: null },
      { name: 'c.gguf.ipull', sizeBytes: 9, partial: true, sha256: null },
    ]);
    expect((await listCachedModels(dir, { sha256: 'missing' })).map((file) => file.sha256)).toEqual([sha256Of('model a'), sha256Of('model b'), null]);
    // Now kept beside the files, so even the mode that computes nothing shows them.
    expect((await listCachedModels(dir)).map((file) => file.sha256)).toEqual([sha256Of('model a'), sha256Of('model b'), null]);
    expect(await listCachedModels(path.join(dir, 'absent'))).toEqual([]);
  });

  it('recomputes a kept hash once the model file is newer than it', async () => {
    const dir = await folder();
    const file = path.join(dir, 'm.gguf');
    await writeFile(file, 'first');
    expect(await modelFileSha256(file)).toBe(sha256Of('first'));
    await writeFile(file, 'second');
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    expect(await modelFileSha256(file)).toBe(sha256Of('second'));
  });

  it('removes a file with its kept hash, and nothing outside the folder', async () => {
    const dir = await folder();
    await writeFile(path.join(dir, 'm.gguf'), 'model');
    await writeFile(path.join(dir, 'other.gguf'), 'other');
    await modelFileSha256(path.join(dir, 'm.gguf'));
    for (const name of ['../m.gguf', '..', '/etc/passwd', 'a/b.gguf', 'llama:/tmp/m.gguf'])
      expect((await sleeptimeErrorOf(removeCachedModel(dir, name))).code, name).toBe('invalid_model_name');
    expect((await sleeptimeErrorOf(removeCachedModel(dir, 'notes.txt'))).code).toBe('model_not_found');
    expect(await removeCachedModel(dir, 'm.gguf')).toEqual({ name: 'm.gguf', path: path.join(dir, 'm.gguf'), sizeBytes: 5 });
    expect(await readdir(dir)).toEqual(['other.gguf']);
  });

  it('reads llama sources out of specs, and refuses other providers', async () => {
    expect(llamaSourceOf('llama:hf:a/b/c.gguf')).toBe('hf:a/b/c.gguf');
    expect(llamaSourceOf('hf:a/b:Q4_K_M')).toBe('hf:a/b:Q4_K_M');
    expect(llamaSourceOf('https://host/m.gguf')).toBe('https://host/m.gguf');
    expect(llamaSourceOf('./m.gguf')).toBe('./m.gguf');
    expect(sleeptimeErrorThrownBy(() => llamaSourceOf('openai:gpt-4o')).code).toBe('not_a_local_model');
    expect(sleeptimeErrorThrownBy(() => llamaSourceOf('llama3')).code).toBe('invalid_model_spec');

    const dir = await folder();
    expect(await locateModel('hf:a/b/c.gguf', dir)).toEqual({ source: 'hf:a/b/c.gguf', remote: true, path: path.join(dir, 'hf_a_b_c.gguf'), exists: false });
    await writeFile(path.join(dir, 'm.gguf'), 'model');
    expect(await locateModel('http://127.0.0.1:1/files/m.gguf', dir)).toEqual({ source: 'http://127.0.0.1:1/files/m.gguf', remote: true, path: path.join(dir, 'm.gguf'), exists: true });
  });
});

