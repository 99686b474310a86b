/**
 * Property-based fuzzing of every route the served OpenAPI document describes, with schemathesis
 * (PyPI): generated valid and invalid requests, then stateful sequences built from the document.
 * Every answer must be below 500, and every error one JSON object with a code and a message, never
 * a stack trace (tests/fuzz/schemathesis_hooks.py). Runs where schemathesis is installed
 * (SLEEPTIME_SCHEMATHESIS names its executable, else `schemathesis` on the PATH); skipped, saying
 * so, where it is not, unless SLEEPTIME_REQUIRE_FUZZ=1 (as `.ci/run` sets after installing it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from './http-server.js';
import { createServerTestBed, type ServerTestBed } from './server-test-support.js';

const executable = process.env.SLEEPTIME_SCHEMATHESIS ?? 'schemathesis';
const available = spawnSync(executable, ['--version'], { encoding: 'utf8' }).status === 0;
const required = process.env.SLEEPTIME_REQUIRE_FUZZ === '1';
const hooksDir = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../tests/fuzz');

if (!available && !required) console.warn(`OpenAPI fuzzing SKIPPED: ${executable} is not installed (pip install schemathesis, or set SLEEPTIME_SCHEMATHESIS).`);

describe.skipIf(!available && !required)('the HTTP API under schemathesis', () => {
  let bed: ServerTestBed;
  let server: RunningHttpServer;
  let refill: NodeJS.Timeout;

  beforeAll(async () => {
    // No rate limit: the fuzzer sends hundreds of requests a second, and each should reach its route.
    bed = await createServerTestBed({ rateLimit: false });
    // The upstream always has an answer ready, so a 5xx can only be the service's own fault.
    refill = setInterval(() => {
      while (bed.replies.length < 50) bed.replies.push({ text: 'The answer is 7.', usage: { prompt_tokens: 20, completion_tokens: 5 } });
    }, 20);
    server = await startHttpServer(bed.app, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    clearInterval(refill);
    await server?.close();
    await bed?.close();
  });

  it('answers no 5xx and every error as JSON with a code, on every route', async () => {
    expect(available, `${executable} is not installed but SLEEPTIME_REQUIRE_FUZZ=1`).toBe(true);
    const args = [
      'run',
      `${server.url}/openapi.json`,
      '--header',
      `Authorization: Bearer ${bed.keyA}`,
      '--checks',
      'not_a_server_error,error_is_json_with_code,no_stack_trace',
      '--max-examples',
      '30',
      '--generation-deterministic',
      '--request-timeout',
      '20',
      '--no-color',
    ];
    // Its own working folder: schemathesis keeps a cache folder where it runs.
    const workDir = await mkdtemp(path.join(tmpdir(), 'sleeptime-fuzz-'));
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(executable, args, { cwd: workDir, env: { ...process.env, SCHEMATHESIS_HOOKS: 'schemathesis_hooks', PYTHONPATH: hooksDir } });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, output: text }));
    }).finally(() => rm(workDir, { recursive: true, force: true }));
    expect(code, output.slice(-4000)).toBe(0);
    // It tested every operation and generated cases: a run that tested nothing must not pass.
    expect(output).toMatch(/Tested: (\d+)/);
    expect(Number(/Tested: (\d+)/.exec(output)?.[1])).toBeGreaterThanOrEqual(18);
    expect(Number(/(\d+) generated/.exec(output)?.[1])).toBeGreaterThan(500);
  }, 300_000);
});
