/**
 * The cache of finished contexts: one JSON line a context, appended when the context is done, so a
 * crash loses at most the contexts in flight. A line is written with its newline in one append;
 * text after the last newline is a line torn by a crash: it is ignored on read and cut off before
 * the next append, so it can never end up in the middle of the file.
 */
import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { userError } from '@sleeptime/core';
import { parseJsonlText } from '../jsonl.js';
import { multiQueryCacheRecordSchema, type MultiQueryCacheRecord } from './multi-query-types.js';

export interface MultiQueryCacheContents {
  records: MultiQueryCacheRecord[];
  /** Bytes of complete lines; anything after is a torn line. */
  completeBytes: number;
  /** True when the file ended in a torn line (dropped). */
  tornLineDropped: boolean;
}

/** Reads the cache; a missing file is an empty cache. A bad complete line is an error naming it. */
export async function readMultiQueryCache(path: string): Promise<MultiQueryCacheContents> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], completeBytes: 0, tornLineDropped: false };
    throw error;
  }
  const completeBytes = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, completeBytes).toString('utf8');
  const records = parseJsonlText(lines, multiQueryCacheRecordSchema, (line, problem) =>
    userError(
      'multi_query_cache_malformed',
      problem.kind === 'json'
        ? `${path}, line ${line}: not valid JSON (${problem.message}). Delete the file to start over.`
        : `${path}, line ${line}: not a multi-query cache record (${problem.message}).`,
      { path, line },
    ),
  );
  return { records, completeBytes, tornLineDropped: completeBytes < bytes.length };
}

/**
 * Appends records one at a time (concurrent callers are queued, so lines never interleave). The
 * first append cuts the file back to `completeBytes` when a torn line was found on read.
 */
export class MultiQueryCacheWriter {
  private queue: Promise<void> = Promise.resolve();
  private pendingTruncate: boolean;

  constructor(
    private readonly path: string,
    private readonly contents: Pick<MultiQueryCacheContents, 'completeBytes' | 'tornLineDropped'>,
  ) {
    this.pendingTruncate = contents.tornLineDropped;
  }

  append(record: MultiQueryCacheRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.queue.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      if (this.pendingTruncate) {
        await truncate(this.path, this.contents.completeBytes);
        this.pendingTruncate = false;
      }
      await appendFile(this.path, line, 'utf8');
    });
    // A failed write fails its caller; later writes still run.
    this.queue = write.catch(() => undefined);
    return write;
  }
}
