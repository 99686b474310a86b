/**
 * A folder of saved llama sequence states, one per (model file, prompt prefix), so an ask can restore
 * the KV cache of its prompt prefix instead of prefilling it (see the issue "Sleep-time KV-cache
 * precompute").
 *
 * Each entry is two files named by its key: `<key>.state` (node-llama-cpp's `saveStateToFile`
 * output) and `<key>.json` (a manifest: model identity, prefix token hash and count, size and
 * CRC-32 of the state file, last use). The checksum is read on every restore, so it is CRC-32
 * (about 3x faster than SHA-256 here): it guards against damaged files, while the model and
 * prefix are matched by the manifest's SHA-256 fields. A cache instance remembers the files it has
 * verified (by size and modification time), so a long-lived process checksums a state once, not on
 * every ask; any rewrite of the file changes its time and brings the check back. An entry is used only when every field matches what the
 * caller expects and the state file's checksum is intact: llama.cpp may crash on a state written by
 * another model, so a mismatch or a damaged file is refused and deleted, never loaded.
 *
 * The folder is kept under a byte budget by deleting the least recently used entries.
 *
 * It also remembers model file identities (`.model-identities.json`, by path, size, modification
 * time and inode): hashing the model costs every new process (each CLI ask) 0.1-0.3 s before it can
 * look up a state; a file that is rewritten, replaced or touched is hashed again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/** Bumped when the manifest or the meaning of a key changes: older entries are then ignored. */
const MANIFEST_FORMAT = 2;
/** Model files up to this size are hashed whole; larger ones are sampled (see modelFileIdentity). */
const FULLY_HASHED_MODEL_BYTES = 256 * 2 ** 20;
const SAMPLED_MODEL_BYTES = 32 * 2 ** 20;
const MODEL_IDENTITIES_FILE = '.model-identities.json';
/** Model files whose identity is remembered; the least recently hashed go first. */
const MAX_REMEMBERED_MODEL_IDENTITIES = 32;
export const DEFAULT_PREFIX_STATE_MAX_BYTES = 2 * 2 ** 30;

export interface PrefixStateCacheOptions {
  directory: string;
  /** Most bytes of state files kept; least recently used entries go first. Default 2 GiB. */
  maxBytes?: number;
  /** Clock for last-use times, in milliseconds. */
  now?: () => number;
}

/** What identifies a saved state: which model computed it, over which exact tokens. */
export interface PrefixStateKey {
  modelIdentity: string;
  prefixTokens: readonly number[];
}

export interface PrefixStateManifest {
  format: number;
  modelIdentity: string;
  prefixTokensSha256: string;
  prefixTokenCount: number;
  stateBytes: number;
  stateCrc32: number;
  createdAt: number;
  lastUsedAt: number;
}

export interface PrefixStateEntry {
  key: string;
  statePath: string;
  manifest: PrefixStateManifest;
}

export type PrefixStateRefusal = 'missing' | 'unreadable-manifest' | 'key-mismatch' | 'size-mismatch' | 'checksum-mismatch';

export type PrefixStateLookup = { found: true; entry: PrefixStateEntry } | { found: false; reason: PrefixStateRefusal };

export class PrefixStateCache {
  readonly directory: string;
  readonly maxBytes: number;
  private readonly now: () => number;
  private lastTimestamp = 0;
  /** State files whose checksum matched, by path: the size, modification time and checksum seen then. */
  private readonly verified = new Map<string, string>();

  constructor(options: PrefixStateCacheOptions) {
    this.directory = options.directory;
    this.maxBytes = options.maxBytes ?? DEFAULT_PREFIX_STATE_MAX_BYTES;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${this.maxBytes}`);
    this.now = options.now ?? Date.now;
  }

  /** The file name stem of an entry: both parts of the key, so another model or prefix never even shares a file. */
  static keyOf(key: PrefixStateKey): string {
    return sha256Hex(`${MANIFEST_FORMAT}\n${key.modelIdentity}\n${tokensSha256(key.prefixTokens)}`);
  }

  /**
   * Finds the entry for the key and checks it; a refused entry is deleted. A hit counts as a use
   * (for eviction).
   */
  async lookup(key: PrefixStateKey): Promise<PrefixStateLookup> {
    const name = PrefixStateCache.keyOf(key);
    const statePath = this.statePath(name);
    let manifest: PrefixStateManifest;
    try {
      manifest = parseManifest(await readFile(this.manifestPath(name), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: false, reason: 'missing' };
      await this.remove(name);
      return { found: false, reason: 'unreadable-manifest' };
    }
    const refusal = await this.checkEntry(manifest, key, statePath);
    if (refusal !== undefined) {
      await this.remove(name);
      return { found: false, reason: refusal };
    }
    manifest = { ...manifest, lastUsedAt: this.timestamp() };
    await writeFileAtomically(this.manifestPath(name), JSON.stringify(manifest));
    return { found: true, entry: { key: name, statePath, manifest } };
  }

  /**
   * Saves a state: `writeState` writes it to the path it is given (a temporary name, so a crash
   * never leaves a half-written entry under a real key). Then evicts down to the budget; a state
   * larger than the whole budget is not kept.
   */
  async save(key: PrefixStateKey, writeState: (path: string) => Promise<void>): Promise<PrefixStateEntry | undefined> {
    await mkdir(this.directory, { recursive: true });
    const name = PrefixStateCache.keyOf(key);
    const temporaryPath = join(this.directory, `.${name}.${randomUUID()}.tmp`);
    try {
      await writeState(temporaryPath);
      const { size } = await stat(temporaryPath);
      if (size > this.maxBytes) return undefined;
      const now = this.timestamp();
      const manifest: PrefixStateManifest = {
        format: MANIFEST_FORMAT,
        modelIdentity: key.modelIdentity,
        prefixTokensSha256: tokensSha256(key.prefixTokens),
        prefixTokenCount: key.prefixTokens.length,
        stateBytes: size,
        stateCrc32: await fileCrc32(temporaryPath),
        createdAt: now,
        lastUsedAt: now,
      };
      await rename(temporaryPath, this.statePath(name));
      // Just checksummed: the first restore in this process (an ask right after a sleep) need not read it again.
      this.verified.set(this.statePath(name), fileFingerprint(await stat(this.statePath(name)), manifest.stateCrc32));
      await writeFileAtomically(this.manifestPath(name), JSON.stringify(manifest));
      await this.evictToBudget();
      return { key: name, statePath: this.statePath(name), manifest };
    } finally {
      await rm(temporaryPath, { force: true });
    }
  }

  /**
   * modelFileIdentity of the file, remembered in the folder across processes while the file's size,
   * modification time and inode stay the same. A memo that cannot be read or written only costs a hash.
   */
  async modelIdentity(modelPath: string): Promise<string> {
    const memoPath = join(this.directory, MODEL_IDENTITIES_FILE);
    const fingerprint = fileFingerprint(await stat(modelPath), 0);
    const remembered = await readFile(memoPath, 'utf8')
      .then((text) => JSON.parse(text) as Record<string, { fingerprint?: unknown; identity?: unknown }>)
      .catch(() => ({}) as Record<string, { fingerprint?: unknown; identity?: unknown }>);
    const known = remembered[modelPath];
    if (known?.fingerprint === fingerprint && typeof known.identity === 'string') return known.identity;
    const identity = await modelFileIdentity(modelPath);
    const kept = Object.entries(remembered).filter(([path]) => path !== modelPath).slice(-(MAX_REMEMBERED_MODEL_IDENTITIES - 1));
    await mkdir(this.directory, { recursive: true })
      .then(() => writeFileAtomically(memoPath, JSON.stringify(Object.fromEntries([...kept, [modelPath, { fingerprint, identity }]]))))
      .catch(() => undefined);
    return identity;
  }

  /** Valid-looking entries, least recently used first. */
  async entries(): Promise<PrefixStateEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: PrefixStateEntry[] = [];
    for (const fileName of names) {
      if (!fileName.endsWith('.json') || fileName.startsWith('.')) continue;
      const name = fileName.slice(0, -'.json'.length);
      try {
        const manifest = parseManifest(await readFile(this.manifestPath(name), 'utf8'));
        entries.push({ key: name, statePath: this.statePath(name), manifest });
      } catch {
        // Unreadable manifests are cleaned up by lookup or eviction, not listed.
      }
    }
    return entries.sort((a, b) => a.manifest.lastUsedAt - b.manifest.lastUsedAt || a.key.localeCompare(b.key));
  }

  /** Deletes least recently used entries until the state files fit the budget. */
  async evictToBudget(): Promise<string[]> {
    const entries = await this.entries();
    let total = entries.reduce((sum, entry) => sum + entry.manifest.stateBytes, 0);
    const evicted: string[] = [];
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      await this.remove(entry.key);
      total -= entry.manifest.stateBytes;
      evicted.push(entry.key);
    }
    return evicted;
  }

  private async checkEntry(manifest: PrefixStateManifest, key: PrefixStateKey, statePath: string): Promise<PrefixStateRefusal | undefined> {
    if (
      manifest.format !== MANIFEST_FORMAT ||
      manifest.modelIdentity !== key.modelIdentity ||
      manifest.prefixTokenCount !== key.prefixTokens.length ||
      manifest.prefixTokensSha256 !== tokensSha256(key.prefixTokens)
    )
      return 'key-mismatch';
    const stats = await stat(statePath).catch(() => undefined);
    if (stats?.size !== manifest.stateBytes) return 'size-mismatch';
    const fingerprint = fileFingerprint(stats, manifest.stateCrc32);
    if (this.verified.get(statePath) === fingerprint) return undefined;
    if ((await fileCrc32(statePath)) !== manifest.stateCrc32) return 'checksum-mismatch';
    this.verified.set(statePath, fingerprint);
    return undefined;
  }

  private async remove(name: string): Promise<void> {
    this.verified.delete(this.statePath(name));
    await rm(this.manifestPath(name), { force: true });
    await rm(this.statePath(name), { force: true });
  }

  private statePath(name: string): string {
    return join(this.directory, `${name}.state`);
  }

  private manifestPath(name: string): string {
    return join(this.directory, `${name}.json`);
  }

  /** Strictly increasing, so two uses within one millisecond still order for eviction. */
  private timestamp(): number {
    this.lastTimestamp = Math.max(this.now(), this.lastTimestamp + 1);
    return this.lastTimestamp;
  }
}

function fileFingerprint(stats: Stats, checksum: number): string {
  return `${stats.size}:${stats.mtimeMs}:${stats.ino}:${checksum}`;
}

function parseManifest(text: string): PrefixStateManifest {
  const value = JSON.parse(text) as Partial<PrefixStateManifest>;
  const numbers = ['format', 'prefixTokenCount', 'stateBytes', 'stateCrc32', 'createdAt', 'lastUsedAt'] as const;
  const strings = ['modelIdentity', 'prefixTokensSha256'] as const;
  if (
    typeof value !== 'object' ||
    value === null ||
    numbers.some((field) => typeof value[field] !== 'number') ||
    strings.some((field) => typeof value[field] !== 'string')
  )
    throw new Error('malformed prefix state manifest');
  return value as PrefixStateManifest;
}

async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporaryPath = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporaryPath, text);
  await rename(temporaryPath, path);
}

export function tokensSha256(tokens: readonly number[]): string {
  return createHash('sha256').update(Uint32Array.from(tokens)).digest('hex');
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function fileCrc32(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    // One reused buffer: state files run to hundreds of megabytes, read on the ask's critical path.
    const buffer = Buffer.allocUnsafe(8 * 2 ** 20);
    let checksum = 0;
    for (let position = 0; ; ) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return checksum;
      checksum = crc32(buffer.subarray(0, bytesRead), checksum);
      position += bytesRead;
    }
  } finally {
    await file.close();
  }
}

/**
 * Identity of a model file for state keys: sha256 of the whole file up to 256 MiB; above that, of
 * its size, modification time and first and last 32 MiB (hashing a multi-gigabyte file on every
 * start would cost seconds; a re-downloaded or edited file changes its time or bytes sampled).
 */
export async function modelFileIdentity(path: string): Promise<string> {
  const stats = await stat(path);
  const hash = createHash('sha256').update(`size:${stats.size}\n`);
  if (stats.size <= FULLY_HASHED_MODEL_BYTES) {
    for await (const chunk of createReadStream(path, { highWaterMark: 4 * 2 ** 20 })) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
  }
  hash.update(`mtime:${stats.mtimeMs}\n`);
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SAMPLED_MODEL_BYTES);
    for (const position of [0, stats.size - SAMPLED_MODEL_BYTES]) {
      const { bytesRead } = await file.read(buffer, 0, SAMPLED_MODEL_BYTES, position);
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return `sampled-sha256:${hash.digest('hex')}`;
}
