/**
 * The officially released GSM-Symbolic instances (50 per template: `GSM_symbolic.jsonl`,
 * `GSM_p1.jsonl`, `GSM_p2.jsonl`, also on Hugging Face as `apple/GSM-Symbolic`). Their license
 * (CC BY-NC-ND 4.0) forbids redistributing derivatives, so they are never committed: a user points
 * at a local copy, or at a URL that is downloaded once into a cache folder of their choosing.
 *
 * Each line holds `id` (the template number), `instance`, `question` and `answer` (a worked
 * solution ending in `#### N`), plus the original GSM8K item; only the first four are read.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { upstreamError, userError } from '@sleeptime/core';
import { writeFileAtomically } from '@sleeptime/core';
import { extractGsmAnswerFromReference } from '../grading.js';
import { readJsonl } from '../jsonl.js';
import { splitStateful } from '../stateful-split.js';

/** Where Apple publishes the instance files (one `test.jsonl` per variant). */
export const OFFICIAL_GSM_SYMBOLIC_URLS = {
  symbolic: 'https://huggingface.co/datasets/apple/GSM-Symbolic/resolve/main/main/test.jsonl',
  p1: 'https://huggingface.co/datasets/apple/GSM-Symbolic/resolve/main/p1/test.jsonl',
  p2: 'https://huggingface.co/datasets/apple/GSM-Symbolic/resolve/main/p2/test.jsonl',
} as const;

export interface OfficialGsmSymbolicItem {
  /** `<template>/<instance>` when the file gives both (`12/3`), else `line-<n>`. */
  id: string;
  /** The file's `id`: the template number (0-99 for P1 and symbolic, 0-49 for P2). */
  template: number | string | undefined;
  instance: number | string | undefined;
  question: string;
  /** The number after `####` in the solution. */
  answer: number;
  /** The worked solution as released. */
  solution: string;
  context: string;
  query: string;
}

export interface LoadOfficialGsmSymbolicOptions {
  /** Downloads are kept here, one file per URL; a second load of the same URL reads the copy. */
  cacheDir: string;
}

const identifier = z.union([z.number(), z.string()]);
const officialRow = z.object({
  id: identifier.optional(),
  instance: identifier.optional(),
  question: z.string().min(1),
  answer: z.union([
    z.number(),
    z.string().refine((text) => extractGsmAnswerFromReference(text) !== undefined, 'answer has no "#### N" final number'),
  ]),
});

/** Reads official instances from a file path, or from an http(s) URL through the cache. */
export async function loadOfficialGsmSymbolic(
  source: string,
  options: LoadOfficialGsmSymbolicOptions,
): Promise<OfficialGsmSymbolicItem[]> {
  const path = /^https?:\/\//i.test(source) ? await cachedDownload(source, options.cacheDir) : source;
  const rows = await readJsonl(path, officialRow);
  return rows.map((row, index) => {
    const solution = typeof row.answer === 'number' ? `#### ${row.answer}` : row.answer;
    const answer = typeof row.answer === 'number' ? row.answer : (extractGsmAnswerFromReference(row.answer) as number);
    const { context, query } = splitStateful(row.question);
    return {
      id: row.id !== undefined && row.instance !== undefined ? `${row.id}/${row.instance}` : `line-${index + 1}`,
      template: row.id,
      instance: row.instance,
      question: row.question,
      answer,
      solution,
      context,
      query,
    };
  });
}

/** The cache file for a URL: a hash of the URL (distinct URLs never collide) and its file name. */
export function officialCachePath(url: string, cacheDir: string): string {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const name = (new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? 'instances.jsonl').replace(/[^A-Za-z0-9._-]/g, '_');
  return join(cacheDir, `${hash}-${name}`);
}

async function cachedDownload(url: string, cacheDir: string): Promise<string> {
  const path = officialCachePath(url, cacheDir);
  if (existsSync(path)) return path;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw upstreamError('download_failed', `Could not download ${url}: ${(error as Error).message}`, { cause: error, details: { url } });
  }
  if (!response.ok) {
    const details = { url, status: response.status };
    if (response.status === 404) throw userError('download_failed', `Nothing at ${url} (HTTP 404).`, details);
    throw upstreamError('download_failed', `Downloading ${url} failed with HTTP ${response.status}.`, { details });
  }
  const body = await response.text();
  // An interrupted download never looks like a cached file.
  await writeFileAtomically(path, body);
  return path;
}
