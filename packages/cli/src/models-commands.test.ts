/**
 * `sleeptime models` as real child processes of the built CLI, downloading through node-llama-cpp
 * from a server on 127.0.0.1: it serves a small random-weight GGUF both as a Hugging Face mirror
 * (HF_ENDPOINT, so the default `hf:` model resolves to it) and at a plain URL. No other network.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LLAMA_MODEL, DEFAULT_MODEL_SPEC } from '@sleeptime/core';
import { writeRandomLlamaGguf } from '@sleeptime/llama/testing';
import { parseJson, runCli, temporaryDirectory } from './cli-test-support.js';
import { formatBytes } from './models-commands.js';

// node-llama-cpp's file name for DEFAULT_LLAMA_MODEL (hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/<file>).
const DEFAULT_FILE_NAME = 'hf_Qwen_qwen2.5-1.5b-instruct-q4_k_m.gguf';
const DEFAULT_HUB_PATH = '/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf';

interface ListedModel {
  name: string;
  path: string;
  sizeBytes: number;
  sha256: string | null;
  partial: boolean;
  default: boolean;
  inUse: boolean;
}

interface ModelList {
  cacheDir: string;
  defaultModel: { spec: string; path: string | null };
  inUseModel: { spec: string; path: string | null };
  models: ListedModel[];
}

interface PulledJson {
  source: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  downloaded: boolean;
}

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('sleeptime models', () => {
  let gguf: Buffer;
  let server: Server;
  let origin: string;
  const requests: string[] = [];

  beforeAll(async () => {
    const directory = await temporaryDirectory('models-source');
    await writeRandomLlamaGguf(path.join(directory, 'tiny.gguf'), { seed: 3 });
    gguf = await readFile(path.join(directory, 'tiny.gguf'));
    const served = new Map([
      [DEFAULT_HUB_PATH, gguf],
      ['/files/tiny.gguf', gguf],
      ['/files/not-a-model.gguf', Buffer.from('<html>a login page</html>')],
    ]);
    server = createServer((request, response) => {
      const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      requests.push(`${request.method ?? ''} ${pathname}`);
      const body = served.get(pathname);
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      if (request.method === 'HEAD') {
        response.end();
        return;
      }
      // In pieces, so that the downloader reports progress along the way.
      let offset = 0;
      const writeNext = () => {
        if (offset >= body.length) return void response.end();
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        response.write(piece, () => setTimeout(writeNext, 5));
      };
      writeNext();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /**
   * A fresh model folder. With `hub`, the server is also the Hugging Face endpoint; node-llama-cpp then
   * reads every URL of that host as a hub URL, so plain-URL downloads run without it.
   */
  async function modelsFolder(label: string, options: { hub?: boolean } = {}): Promise<{ cacheDir: string; env: Record<string, string> }> {
    const cacheDir = path.join(await temporaryDirectory(label), 'models');
    return { cacheDir, env: { SLEEPTIME_MODELS_DIR: cacheDir, ...(options.hub === true ? { HF_ENDPOINT: `${origin}/` } : {}) } };
  }

  /** The default model's file, put in the folder by hand, as one would copy it from another machine. */
  async function placeDefaultModel(cacheDir: string): Promise<void> {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(path.join(cacheDir, DEFAULT_FILE_NAME), gguf);
  }

  it('pulls the default model from the hub (here a mirror on 127.0.0.1) with progress into the model folder, then finds it offline', async () => {
    const { cacheDir, env } = await modelsFolder('models-pull', { hub: true });
    const expectedPath = path.join(cacheDir, DEFAULT_FILE_NAME);

    const pulled = await runCli(['models', 'pull'], env);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(pulled.stderr).toContain(`Downloading ${DEFAULT_LLAMA_MODEL}: 100% (${formatBytes(gguf.length)} of ${formatBytes(gguf.length)})\n`);
    expect(pulled.stdout).toBe(`Downloaded ${DEFAULT_LLAMA_MODEL} to ${expectedPath} (${formatBytes(gguf.length)}).\nSHA-256: ${sha256Of(gguf)}\n`);
    expect((await readFile(expectedPath)).equals(gguf)).toBe(true);
    expect(requests).toContain(`GET ${DEFAULT_HUB_PATH}`);

    // Found in the folder: no request at all, and the same answer from every spelling of the spec.
    const requestsBefore = requests.length;
    for (const spec of [DEFAULT_MODEL_SPEC, DEFAULT_LLAMA_MODEL]) {
      const again = parseJson<PulledJson>(await runCli(['models', 'pull', spec, '--json'], env));
      expect(again).toEqual({ source: DEFAULT_LLAMA_MODEL, path: expectedPath, sizeBytes: gguf.length, sha256: sha256Of(gguf), downloaded: false });
      expect(await runCli(['models', 'path', spec], env)).toMatchObject({ exitCode: 0, stdout: `${expectedPath}\n` });
    }
    expect(await runCli(['models', 'path'], env)).toMatchObject({ exitCode: 0, stdout: `${cacheDir}\n` });
    expect(requests.length).toBe(requestsBefore);
  });

  it('lists each file with its size, SHA-256 and whether it is the default or the model in use; --verify recomputes kept hashes', async () => {
    const { cacheDir, env } = await modelsFolder('models-list');
    const tinyUrl = `${origin}/files/tiny.gguf`;
    const fromUrl = parseJson<PulledJson>(await runCli(['models', 'pull', tinyUrl, '--json'], env));
    expect(fromUrl).toMatchObject({ path: path.join(cacheDir, 'tiny.gguf'), sha256: sha256Of(gguf), downloaded: true });
    await placeDefaultModel(cacheDir);
    // A file put there by hand (say, copied from another machine) is listed and hashed too.
    const handPlaced = Buffer.concat([gguf, Buffer.from('extra')]);
    await writeFile(path.join(cacheDir, 'copied.gguf'), handPlaced);

    const listed = parseJson<ModelList>(await runCli(['--model', `llama:${tinyUrl}`, 'models', 'list', '--json'], env));
    expect(listed.cacheDir).toBe(cacheDir);
    expect(listed.defaultModel).toEqual({ spec: DEFAULT_MODEL_SPEC, path: path.join(cacheDir, DEFAULT_FILE_NAME) });
    expect(listed.inUseModel).toEqual({ spec: `llama:${tinyUrl}`, path: path.join(cacheDir, 'tiny.gguf') });
    expect(listed.models.map(({ name, sizeBytes, sha256, partial, default: isDefault, inUse }) => ({ name, sizeBytes, sha256, partial, isDefault, inUse }))).toEqual([
      { name: 'copied.gguf', sizeBytes: handPlaced.length, sha256: sha256Of(handPlaced), partial: false, isDefault: false, inUse: false },
      { name: DEFAULT_FILE_NAME, sizeBytes: gguf.length, sha256: sha256Of(gguf), partial: false, isDefault: true, inUse: false },
      { name: 'tiny.gguf', sizeBytes: gguf.length, sha256: sha256Of(gguf), partial: false, isDefault: false, inUse: true },
    ]);
    // Kept beside each file in sha256sum's format.
    expect(await readFile(path.join(cacheDir, 'copied.gguf.sha256'), 'utf8')).toBe(`${sha256Of(handPlaced)}  copied.gguf\n`);

    const table = await runCli(['models', 'list'], { ...env, SLEEPTIME_MODEL: `llama:${tinyUrl}` });
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toContain(`Model folder: ${cacheDir}\n`);
    expect(table.stdout).toMatch(new RegExp(`${DEFAULT_FILE_NAME}\\s+${formatBytes(gguf.length)}\\s+${sha256Of(gguf)}\\s+default\\n`));
    expect(table.stdout).toMatch(new RegExp(`tiny\\.gguf\\s+${formatBytes(gguf.length)}\\s+${sha256Of(gguf)}\\s+in use\\n`));

    // A file changed in place without a new modification time keeps its stale hash until --verify.
    const tinyPath = path.join(cacheDir, 'tiny.gguf');
    const { mtime } = await stat(tinyPath);
    const damaged = Buffer.from(gguf);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 1) ^ 0xff, damaged.length - 1);
    await writeFile(tinyPath, damaged);
    await utimes(tinyPath, mtime, mtime);
    const tinyHash = async (args: string[]) =>
      parseJson<ModelList>(await runCli(['models', 'list', '--json', ...args], env)).models.find((model) => model.name === 'tiny.gguf')?.sha256;
    expect(await tinyHash([])).toBe(sha256Of(gguf));
    expect(await tinyHash(['--verify'])).toBe(sha256Of(damaged));
    expect(await tinyHash([])).toBe(sha256Of(damaged));
  });

  it('removes exactly the named model and refuses names outside the folder or unknown', async () => {
    const { cacheDir, env } = await modelsFolder('models-rm');
    parseJson(await runCli(['models', 'pull', `${origin}/files/tiny.gguf`, '--json'], env));
    await placeDefaultModel(cacheDir);
    parseJson(await runCli(['models', 'list', '--json'], env)); // keeps the default model's hash beside it
    const outside = path.join(path.dirname(cacheDir), 'x');
    await writeFile(outside, 'not the cache');
    await mkdir(path.join(cacheDir, 'sub'));

    for (const name of ['../x', `${path.dirname(cacheDir)}/x`, 'llama:/etc/model.gguf']) {
      const refused = await runCli(['models', 'rm', name], env);
      expect(refused, name).toMatchObject({ exitCode: 1, stdout: '' });
      expect(refused.stderr).toMatch(/^sleeptime: .* \[invalid_model_name\]\n$/);
    }
    const unknown = await runCli(['models', 'rm', 'nope.gguf', '--json'], env);
    expect(unknown.exitCode).toBe(1);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ error: { code: 'model_not_found', category: 'user' } });
    expect(await readFile(outside, 'utf8')).toBe('not the cache');

    const removed = await runCli(['models', 'rm', 'tiny.gguf'], env);
    expect(removed).toMatchObject({ exitCode: 0, stdout: `Removed tiny.gguf (${formatBytes(gguf.length)}) from ${cacheDir}.\n` });
    expect((await readdir(cacheDir)).sort()).toEqual([DEFAULT_FILE_NAME, `${DEFAULT_FILE_NAME}.sha256`, 'sub']);

    // By the spec it was downloaded from.
    expect(parseJson(await runCli(['models', 'rm', DEFAULT_MODEL_SPEC, '--json'], env))).toEqual({
      name: DEFAULT_FILE_NAME,
      path: path.join(cacheDir, DEFAULT_FILE_NAME),
      sizeBytes: gguf.length,
      removed: true,
    });
    expect(await readdir(cacheDir)).toEqual(['sub']);
  });

  it('path names where a model not yet downloaded would go, and refuses specs that name no local file', async () => {
    const { cacheDir, env } = await modelsFolder('models-path');
    const missing = await runCli(['models', 'path', 'hf:someone/repo/model.gguf'], env);
    expect(missing).toMatchObject({ exitCode: 1, stdout: '' });
    expect(missing.stderr).toBe(
      `sleeptime: hf:someone/repo/model.gguf is not downloaded; it would be ${path.join(cacheDir, 'hf_someone_repo_model.gguf')}: ` +
        'sleeptime models pull hf:someone/repo/model.gguf [model_not_downloaded]\n',
    );
    const hosted = await runCli(['models', 'path', 'openai:gpt-4o-mini'], env);
    expect(hosted).toMatchObject({ exitCode: 1, stderr: 'sleeptime: openai:gpt-4o-mini is served by the openai provider: only llama: models are files on this machine [not_a_local_model]\n' });

    const localFile = path.join(path.dirname(cacheDir), 'mine.gguf');
    await writeFile(localFile, gguf);
    expect(await runCli(['models', 'path', `llama:${localFile}`], env)).toMatchObject({ exitCode: 0, stdout: `${localFile}\n` });
    expect((await runCli(['models', 'path', path.join(path.dirname(cacheDir), 'gone.gguf')], env)).stderr).toMatch(/\[model_file_not_found\]\n$/);
  });

  it('fails with one line when the download fails, and leaves nothing in the folder', async () => {
    const { cacheDir, env } = await modelsFolder('models-fail');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const unreachable = await runCli(['models', 'pull', `http://127.0.0.1:${closedPort}/model.gguf`], env);
    expect(unreachable).toMatchObject({ exitCode: 2, stdout: '' });
    expect(unreachable.stderr).toMatch(/^sleeptime: Could not download the model .*cannot be reached.*\[model_download_failed\]\n$/);

    const notGguf = await runCli(['models', 'pull', `${origin}/files/not-a-model.gguf`], env);
    expect(notGguf).toMatchObject({ exitCode: 1, stdout: '' });
    expect(notGguf.stderr).toMatch(/does not start with the GGUF signature.*\[invalid_model_file\]\n$/);
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });
});
