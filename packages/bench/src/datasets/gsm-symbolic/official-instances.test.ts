import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOfficialGsmSymbolic, officialCachePath } from './official-instances.js';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';

// Made-up rows in the released files' format (the real ones may not be redistributed).
const rows = [
  {
    id: 12,
    instance: 0,
    question: 'Ana has 3 boxes of 4 pens. She gives away 2 pens. How many pens does she have left?',
    answer: 'She had 3 * 4 = <<3*4=12>>12 pens.\n12 - 2 = <<12-2=10>>10\n#### 10',
    original_id: 7,
  },
  {
    id: 12,
    instance: 1,
    question: 'Bo pays $2.50 for each of 500 stickers. How much does he pay in total?',
    answer: 'He pays 2.5 * 500 = 1250 dollars.\n#### 1,250',
  },
];
const jsonl = `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'gsm-official-test-'));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** A server on 127.0.0.1 that answers /GSM_p1.jsonl and counts requests. */
async function startServer(): Promise<{ baseUrl: string; requests: () => number }> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    count += 1;
    if (request.url === '/GSM_p1.jsonl') {
      response.writeHead(200, { 'content-type': 'application/jsonl' });
      response.end(jsonl);
    } else if (request.url === '/broken') {
      response.writeHead(500);
      response.end('boom');
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, requests: () => count };
}

describe('loadOfficialGsmSymbolic', () => {
  it('reads a local file: answers from "#### N", questions split into context and query', async () => {
    const folder = temporaryFolder();
    const path = join(folder, 'GSM_p1.jsonl');
    writeFileSync(path, jsonl);
    const items = await loadOfficialGsmSymbolic(path, { cacheDir: join(folder, 'cache') });
    expect(items.map((item) => [item.id, item.template, item.instance, item.answer])).toEqual([
      ['12/0', 12, 0, 10],
      ['12/1', 12, 1, 1250],
    ]);
    expect(items[0]?.context).toBe('Ana has 3 boxes of 4 pens. She gives away 2 pens.');
    expect(items[0]?.query).toBe('How many pens does she have left?');
    expect(items[1]?.context).toBe('Bo pays $2.50 for each of 500 stickers.');
    expect(items[1]?.solution).toContain('#### 1,250');
    expect(existsSync(join(folder, 'cache'))).toBe(false); // a path is read in place, never copied
  });

  it('downloads a URL once into the cache folder and reads the copy afterwards', async () => {
    const { baseUrl, requests } = await startServer();
    const cacheDir = join(temporaryFolder(), 'cache');
    const url = `${baseUrl}/GSM_p1.jsonl`;
    const first = await loadOfficialGsmSymbolic(url, { cacheDir });
    expect(first.map((item) => item.answer)).toEqual([10, 1250]);
    expect(requests()).toBe(1);
    const cached = officialCachePath(url, cacheDir);
    expect(cached.endsWith('-GSM_p1.jsonl')).toBe(true);
    expect(readFileSync(cached, 'utf8')).toBe(jsonl);
    const second = await loadOfficialGsmSymbolic(url, { cacheDir });
    expect(second).toEqual(first);
    expect(requests()).toBe(1);
  });

  it('reports failed downloads and leaves nothing in the cache', async () => {
    const { baseUrl } = await startServer();
    const cacheDir = join(temporaryFolder(), 'cache');
    const missing = await sleeptimeErrorOf(loadOfficialGsmSymbolic(`${baseUrl}/nothing.jsonl`, { cacheDir }));
    expect(missing.code).toBe('download_failed');
    expect(missing.category).toBe('user');
    const broken = await sleeptimeErrorOf(loadOfficialGsmSymbolic(`${baseUrl}/broken`, { cacheDir }));
    expect(broken.code).toBe('download_failed');
    expect(broken.category).toBe('upstream');
    expect(broken.details).toMatchObject({ status: 500 });
    expect(existsSync(officialCachePath(`${baseUrl}/broken`, cacheDir))).toBe(false);
  });

  it('rejects a row without a "#### N" answer, naming the file and line', async () => {
    const folder = temporaryFolder();
    const path = join(folder, 'bad.jsonl');
    writeFileSync(path, `${JSON.stringify(rows[0])}\n${JSON.stringify({ id: 1, instance: 0, question: 'Q?', answer: 'no final number' })}\n`);
    const error = await sleeptimeErrorOf(loadOfficialGsmSymbolic(path, { cacheDir: folder }));
    expect(error.code).toBe('jsonl_malformed');
    expect(error.message).toContain('bad.jsonl, line 2');
    const missing = await sleeptimeErrorOf(loadOfficialGsmSymbolic(join(folder, 'absent.jsonl'), { cacheDir: folder }));
    expect(missing.code).toBe('file_not_found');
  });
});
