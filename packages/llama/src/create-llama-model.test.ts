/**
 * createLlamaModel: local files, `hf:` downloads from a Hugging Face stand-in on 127.0.0.1, the
 * offline cache, and the typed errors. The served model has random weights: these tests check
 * the plumbing, not answer quality.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModelFile } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomLlamaGguf } from './testing/gguf-writer.js';
import { createLlamaModel, DEFAULT_LLAMA_MODEL, type DownloadProgress } from './index.js';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';

let directory: string;
let modelFile: string;
let modelBytes: Buffer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-create-llama-'));
  modelFile = join(directory, 'random.gguf');
  await writeRandomLlamaGguf(modelFile, { seed: 5 });
  modelBytes = await readFile(modelFile);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Serves `/<user>/<repo>/resolve/main/<file>` like Hugging Face, with HEAD and byte ranges. */
async function startHuggingFaceStandIn(files: Record<string, Buffer>): Promise<{ server: Server; endpoint: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const body = files[path];
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    const range = /bytes=(\d+)-(\d*)/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : body.length - 1;
    response.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests };
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('createLlamaModel', () => {
  it('loads a local GGUF file and closes it; calls after close fail with a typed error', async () => {
    const handle = await createLlamaModel({ source: modelFile, cacheDir: join(directory, 'unused') });
    expect(handle.modelPath).toBe(modelFile);
    expect(handle.languageModel.provider).toBe('llama');
    expect(handle.languageModel.specificationVersion).toBe('v3');
    const result = await handle.languageModel.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], maxOutputTokens: 2 });
    expect(result.usage.outputTokens.total).toBe(2);

    await handle.close();
    await handle.close();
    const failure = await sleeptimeErrorOf(handle.languageModel.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }));
    expect(failure).toMatchObject({ code: 'llama_model_closed', category: 'system' });
  });

  it('reports a missing file or a folder as model_file_not_found, naming the path', async () => {
    const missing = join(directory, 'nope', 'model.gguf');
    const failure = await sleeptimeErrorOf(createLlamaModel({ source: missing, cacheDir: directory }));
    expect(failure).toMatchObject({ code: 'model_file_not_found', category: 'user', details: { path: missing } });
    expect(failure.message).toContain(missing);

    const folder = await sleeptimeErrorOf(createLlamaModel({ source: directory, cacheDir: directory }));
    expect(folder.code).toBe('model_file_not_found');
  });

  it('rejects a context size or thread count that is not a positive integer', async () => {
    expect(await sleeptimeErrorOf(createLlamaModel({ source: modelFile, cacheDir: directory, contextSize: 0 }))).toMatchObject({
      code: 'invalid_context_size',
      category: 'user',
    });
    expect(await sleeptimeErrorOf(createLlamaModel({ source: modelFile, cacheDir: directory, threads: 1.5 }))).toMatchObject({
      code: 'invalid_threads',
      category: 'user',
    });
  });

  it('reports a file that is not a GGUF model, or a cut-off one, as invalid_model_file', async () => {
    const text = join(directory, 'notes.gguf');
    await writeFile(text, 'just some text, not a model');
    const notGguf = await sleeptimeErrorOf(createLlamaModel({ source: text, cacheDir: directory }));
    expect(notGguf).toMatchObject({ code: 'invalid_model_file', category: 'user' });
    expect(notGguf.message).toContain(text);

    const truncated = join(directory, 'truncated.gguf');
    await writeFile(truncated, modelBytes.subarray(0, 4096));
    const cutOff = await sleeptimeErrorOf(createLlamaModel({ source: truncated, cacheDir: directory }));
    expect(cutOff).toMatchObject({ code: 'invalid_model_file', category: 'user' });
    // llama.cpp's own explanation is kept in the details instead of being printed.
    expect((cutOff.details.llamaLog as string[]).join('\n')).toMatch(/failed to (read|load)/);
  });

  it('downloads an hf: model with progress, then loads it from the cache with the server gone', async () => {
    const { server, endpoint, requests } = await startHuggingFaceStandIn({ '/test-user/tiny-GGUF/resolve/main/tiny.gguf': modelBytes });
    const cacheDir = join(directory, 'cache-download');
    const progress: DownloadProgress[] = [];
    let modelPath: string;
    try {
      const handle = await createLlamaModel({
        source: 'hf:test-user/tiny-GGUF/tiny.gguf',
        cacheDir,
        huggingFaceEndpoint: endpoint,
        onDownloadProgress: (update) => progress.push(update),
      });
      modelPath = handle.modelPath;
      expect(modelPath.startsWith(cacheDir)).toBe(true);
      expect((await readFile(modelPath)).equals(modelBytes)).toBe(true);
      expect(progress.at(-1)).toEqual({ downloadedBytes: modelBytes.length, totalBytes: modelBytes.length });
      expect(requests.some((request) => request.includes('/test-user/tiny-GGUF/resolve/main/tiny.gguf'))).toBe(true);
      const result = await handle.languageModel.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], maxOutputTokens: 3 });
      expect(result.usage.outputTokens.total).toBe(3);
      await handle.close();
    } finally {
      await closeServer(server);
    }

    const requestsBefore = requests.length;
    const offline = await createLlamaModel({ source: 'hf:test-user/tiny-GGUF/tiny.gguf', cacheDir, huggingFaceEndpoint: endpoint });
    expect(offline.modelPath).toBe(modelPath);
    expect(requests).toHaveLength(requestsBefore);
    await offline.close();
  });

  it('fails fast with model_download_failed, saying how to point at a model, when the server cannot be reached', async () => {
    const { server, endpoint } = await startHuggingFaceStandIn({});
    await closeServer(server); // nothing listens on that port any more
    const started = Date.now();
    const failure = await sleeptimeErrorOf(
      createLlamaModel({ source: 'hf:test-user/tiny-GGUF/tiny.gguf', cacheDir: join(directory, 'cache-unreachable'), huggingFaceEndpoint: endpoint }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failure).toMatchObject({ code: 'model_download_failed', category: 'upstream' });
    expect(failure.message).toContain('--model llama:/path/to/model.gguf');
    expect(failure.message).toContain('--model openai-compatible:<name> --base-url');
  });

  it('fails with model_download_failed when the server does not have the file', async () => {
    const { server, endpoint } = await startHuggingFaceStandIn({});
    try {
      const failure = await sleeptimeErrorOf(
        createLlamaModel({ source: 'hf:test-user/tiny-GGUF/missing.gguf', cacheDir: join(directory, 'cache-missing'), huggingFaceEndpoint: endpoint }),
      );
      expect(failure).toMatchObject({ code: 'model_download_failed', category: 'upstream' });
      expect(failure.message).toContain('404');
    } finally {
      await closeServer(server);
    }
  });

  it('has a default model that node-llama-cpp reads as a Hugging Face file URI', async () => {
    expect(DEFAULT_LLAMA_MODEL.startsWith('hf:')).toBe(true);
    const cacheDir = join(directory, 'cache-default');
    await mkdir(cacheDir);
    // Offline check: with downloads off, node-llama-cpp names the file it would have fetched.
    await expect(resolveModelFile(DEFAULT_LLAMA_MODEL, { directory: cacheDir, download: false, cli: false })).rejects.toThrow(
      /qwen2\.5-1\.5b-instruct-q4_k_m\.gguf/,
    );
  });
});
