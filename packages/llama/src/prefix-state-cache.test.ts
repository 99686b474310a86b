/** The prefix state folder on its own: keys, refusals and least-recently-used eviction, with stand-in state bytes. */
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelFileIdentity, PrefixStateCache, type PrefixStateKey } from './prefix-state-cache.js';

let directory: string;
let clock: number;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-prefix-states-'));
  clock = 1_000;
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function cacheWithBudget(maxBytes: number): PrefixStateCache {
  return new PrefixStateCache({ directory, maxBytes, now: () => clock });
}

const modelA: PrefixStateKey = { modelIdentity: 'sha256:model-a', prefixTokens: [1, 5, 9, 12] };

function writeBytes(count: number, fill = 7): (path: string) => Promise<void> {
  return (path) => writeFile(path, Buffer.alloc(count, fill));
}

describe('PrefixStateCache', () => {
  it('finds a saved state under the same model and prefix, and nothing under another model or prefix', async () => {
    const cache = cacheWithBudget(10_000);
    const saved = await cache.save(modelA, writeBytes(100));
    expect(saved?.manifest.stateBytes).toBe(100);
    expect(saved?.manifest.prefixTokenCount).toBe(4);

    const hit = await cache.lookup(modelA);
    expect(hit.found).toBe(true);
    expect(hit.found && (await readFile(hit.entry.statePath)).length).toBe(100);
    expect(await cache.lookup({ ...modelA, modelIdentity: 'sha256:model-b' })).toEqual({ found: false, reason: 'missing' });
    expect(await cache.lookup({ ...modelA, prefixTokens: [1, 5, 9] })).toEqual({ found: false, reason: 'missing' });
    expect(await cache.lookup({ ...modelA, prefixTokens: [1, 5, 9, 13] })).toEqual({ found: false, reason: 'missing' });
  });

  it("refuses and deletes a state filed under another model's key", async () => {
    const cache = cacheWithBudget(10_000);
    const saved = await cache.save(modelA, writeBytes(100));
    const modelB = { ...modelA, modelIdentity: 'sha256:model-b' };
    const forgedName = PrefixStateCache.keyOf(modelB);
    await copyFile(saved!.statePath, join(directory, `${forgedName}.state`));
    await copyFile(join(directory, `${saved!.key}.json`), join(directory, `${forgedName}.json`));

    expect(await cache.lookup(modelB)).toEqual({ found: false, reason: 'key-mismatch' });
    expect(await cache.lookup(modelB)).toEqual({ found: false, reason: 'missing' });
    expect((await cache.lookup(modelA)).found).toBe(true);
  });

  it('refuses a damaged state file (changed bytes, truncated) and an unreadable manifest', async () => {
    const cache = cacheWithBudget(10_000);
    const changed = await cache.save(modelA, writeBytes(100));
    // Verified once: the cache remembers that, but a rewrite of the file must bring the check back.
    expect((await cache.lookup(modelA)).found).toBe(true);
    const bytes = await readFile(changed!.statePath);
    bytes[50] = (bytes[50]! + 1) % 256;
    await writeFile(changed!.statePath, bytes);
    expect(await cache.lookup(modelA)).toEqual({ found: false, reason: 'checksum-mismatch' });

    const truncated = await cache.save(modelA, writeBytes(100));
    await truncate(truncated!.statePath, 60);
    expect(await cache.lookup(modelA)).toEqual({ found: false, reason: 'size-mismatch' });

    await cache.save(modelA, writeBytes(100));
    await writeFile(join(directory, `${PrefixStateCache.keyOf(modelA)}.json`), '{"format": 1');
    expect(await cache.lookup(modelA)).toEqual({ found: false, reason: 'unreadable-manifest' });
    expect(await cache.entries()).toEqual([]);
  });

  it('keeps the budget by evicting the least recently used state, not the oldest', async () => {
    const cache = cacheWithBudget(250);
    const first = { ...modelA, prefixTokens: [1] };
    const second = { ...modelA, prefixTokens: [2] };
    const third = { ...modelA, prefixTokens: [3] };
    await cache.save(first, writeBytes(100));
    clock += 10;
    await cache.save(second, writeBytes(100));
    clock += 10;
    expect((await cache.lookup(first)).found).toBe(true); // first is now the most recently used
    clock += 10;
    await cache.save(third, writeBytes(100));

    const kept = await cache.entries();
    expect(kept.reduce((sum, entry) => sum + entry.manifest.stateBytes, 0)).toBeLessThanOrEqual(250);
    expect(kept.map((entry) => entry.key)).toEqual([PrefixStateCache.keyOf(first), PrefixStateCache.keyOf(third)]);
    expect((await cache.lookup(second)).found).toBe(false);
  });

  it('does not keep a state larger than the whole budget', async () => {
    const cache = cacheWithBudget(50);
    expect(await cache.save(modelA, writeBytes(100))).toBeUndefined();
    expect(await cache.entries()).toEqual([]);
    expect(await cache.lookup(modelA)).toEqual({ found: false, reason: 'missing' });
  });

  it('remembers a model file\'s identity for later processes, and hashes the file again once it changes', async () => {
    const modelPath = join(directory, 'model.gguf');
    await writeFile(modelPath, Buffer.alloc(1000, 1));
    const identity = await cacheWithBudget(10_000).modelIdentity(modelPath);
    expect(identity).toBe(await modelFileIdentity(modelPath));

    // A new cache on the folder (a new process) reads the remembered value instead of hashing: a planted one shows it.
    const memoPath = join(directory, '.model-identities.json');
    const memo = JSON.parse(await readFile(memoPath, 'utf8')) as Record<string, { identity: string }>;
    memo[modelPath]!.identity = 'sha256:remembered';
    await writeFile(memoPath, JSON.stringify(memo));
    expect(await cacheWithBudget(10_000).modelIdentity(modelPath)).toBe('sha256:remembered');
    expect(await cacheWithBudget(10_000).entries()).toEqual([]);

    await writeFile(modelPath, Buffer.alloc(1001, 2));
    expect(await cacheWithBudget(10_000).modelIdentity(modelPath)).toBe(await modelFileIdentity(modelPath));
    await writeFile(memoPath, 'not json');
    expect(await cacheWithBudget(10_000).modelIdentity(modelPath)).toBe(await modelFileIdentity(modelPath));
  });
});
