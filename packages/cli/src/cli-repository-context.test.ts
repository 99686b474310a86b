/**
 * Repositories as contexts, end to end through the built CLI against a scripted OpenAI-compatible
 * server and real git repositories: `context put --repo` records the commit, a sleep explores a
 * worktree of it with the read-only tools and publishes notes (the worktree removed afterwards,
 * also when the sleep fails), a new commit makes the notes stale until `watch` re-puts the context
 * and a sleep publishes again.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestGitRepository,
  isPrefixWarmUp,
  startScriptedOpenAIServer,
  type RecordedRequest,
  type ScriptedOpenAIServer,
  type ScriptedReply,
  type TestGitRepository,
} from '@sleeptime/core/testing';
import { parseJson, runCli, startCliProcess, temporaryDirectory } from './cli-test-support.js';

const notes = 'Parsers: src/parser.ts (parseCsv). New formats go beside it, exported from src/index.ts.';

/** Switched by a test: the sleep's second call fails with a non-retryable 400. */
const behaviour = { failAfterExploring: false };

/** The sleep-time agent reads a file, rewrites its memory with what it read, finishes; asks get a one-liner. */
function scriptedModel(request: RecordedRequest): ScriptedReply {
  if (isPrefixWarmUp(request)) return { text: '.', usage: { prompt_tokens: 1, completion_tokens: 1 } };
  if ((request.body.tools?.length ?? 0) === 0) return { text: 'In src/parser.ts.', usage: { prompt_tokens: 20, completion_tokens: 5 } };
  const toolMessages = (request.body.messages ?? []).filter((message) => message.role === 'tool');
  if (toolMessages.length === 0) return { toolCalls: [{ name: 'read_file', arguments: { path: 'src/parser.ts' } }], usage: { prompt_tokens: 30, completion_tokens: 6 } };
  if (behaviour.failAfterExploring) return { status: 400, errorMessage: 'scripted failure after exploring' };
  if (toolMessages.length === 1) {
    const read = JSON.stringify(toolMessages[0]?.content);
    return { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: `${notes} Read: ${read.includes('parseCsv') ? 'parseCsv found' : 'nothing'}.` } }], usage: { prompt_tokens: 40, completion_tokens: 12 } };
  }
  return { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 50, completion_tokens: 1 } };
}

interface PutJson {
  id: string;
  version: number;
  written: boolean;
  repository: { path: string; ref: string; commit: string };
  sleepJob: { id: string; runAfter: string } | null;
}

describe('sleeptime with a repository as a context', () => {
  let server: ScriptedOpenAIServer;
  let repository: TestGitRepository;
  let firstCommit: string;
  let env: Record<string, string>;
  let temporary: string;

  beforeAll(async () => {
    server = await startScriptedOpenAIServer(scriptedModel);
    repository = await createTestGitRepository({ name: 'demo' });
    firstCommit = await repository.commit('Add a CSV parser', {
      'README.md': '# demo\n\nParsers for text formats.\n',
      'src/index.ts': 'export * from "./parser.js";\n',
      'src/parser.ts': 'export function parseCsv(text: string): string[] {\n  return text.split(",");\n}\n',
    });
    const dataDir = await temporaryDirectory('cli-repository');
    // Worktrees are made in the temporary folder: this one, so the test can see them go.
    temporary = path.join(dataDir, 'tmp');
    await mkdir(temporary);
    env = { SLEEPTIME_MODEL: 'openai-compatible:scripted-model', SLEEPTIME_BASE_URL: server.baseUrl, SLEEPTIME_DATA_DIR: path.join(dataDir, 'store'), TMPDIR: temporary };
  });
  afterAll(async () => {
    await server.close();
    await repository.remove();
  });

  const worktreesLeft = async () => (await readdir(temporary)).filter((name) => name.startsWith('sleeptime-worktree-'));
  const ask = async () => parseJson<{ fresh: boolean | null; answer: string }>(await runCli(['ask', 'demo', 'Where do parsers go?', '--json'], env));

  it('puts the repository with the commit it was made from, explores it in a sleep, and publishes the notes', async () => {
    const put = parseJson<PutJson>(await runCli(['context', 'put', 'demo', '--repo', path.join(repository.dir, 'src'), '--json'], env));
    expect(put).toMatchObject({ id: 'demo', version: 1, written: true, repository: { path: repository.dir, ref: 'HEAD', commit: firstCommit } });
    // Like an HTTP write, it enqueued the context's quiet-period sleep job for a serve or worker.
    expect(put.sleepJob).not.toBeNull();
    const context = parseJson<{ text: string; metadata: unknown }>(await runCli(['context', 'get', 'demo', '--json'], env));
    expect(context.text).toContain('# Repository demo');
    expect(context.text).toContain('src/parser.ts');
    expect(context.metadata).toEqual({ repository: { path: repository.dir, ref: 'HEAD', commit: firstCommit } });

    const before = server.requests.length;
    const sleep = parseJson<{ learned: string; branches: { explorationCalls: number }[] }>(await runCli(['sleep', 'demo', '--json'], env));
    expect(sleep.learned).toBe(`${notes} Read: parseCsv found.`);
    expect(sleep.branches[0]?.explorationCalls).toBe(1);
    const first = server.requests[before];
    expect(first?.body.tools?.map((offered) => offered.function.name).sort()).toEqual(['list_files', 'read_file', 'rethink_memory', 'search']);
    expect(JSON.stringify(first?.body.messages)).toContain('recent pull requests');
    expect(await worktreesLeft()).toEqual([]);
    expect((await ask()).fresh).toBe(true);

    // Putting the same commit again writes nothing (a hook may fire without a change).
    expect(parseJson<PutJson>(await runCli(['context', 'put', 'demo', '--repo', repository.dir, '--json'], env))).toMatchObject({ version: 1, written: false, sleepJob: null });
  });

  it('goes stale on a new commit until watch puts it again and a sleep publishes', async () => {
    const second = await repository.commit('Add a JSON parser', { 'src/json.ts': 'export const parseJson = JSON.parse;\n' });
    // The store knows nothing of the commit yet: the notes are those of the context as it is.
    expect((await ask()).fresh).toBe(true);

    const watched = await runCli(['watch', 'demo', '--once', '--json'], env);
    expect(watched.exitCode).toBe(0);
    const events = watched.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; version?: number; repository?: { commit: string } });
    expect(events.map((event) => event.type)).toEqual(['watching', 'put']);
    expect(events[1]).toMatchObject({ version: 2, repository: { commit: second } });
    expect((await ask()).fresh).toBe(false);

    const slept = await runCli(['watch', 'demo', '--once', '--sleep', '--json'], env);
    expect(slept.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['watching', 'slept']);
    expect((await ask()).fresh).toBe(true);
    expect(await worktreesLeft()).toEqual([]);
  });

  it('keeps watching: a commit made while it runs is put within a poll, and it stops on a signal', async () => {
    const watcher = startCliProcess(['watch', 'demo', '--interval-ms', '200', '--json'], env);
    try {
      await watcher.waitForStdout(/"type":"watching"/);
      const third = await repository.commit('Add a YAML parser', { 'src/yaml.ts': 'export const parseYaml = () => ({});\n' });
      await watcher.waitForStdout(new RegExp(`"type":"put".*"commit":"${third}"`), 20_000);
    } finally {
      watcher.child.kill('SIGINT');
    }
    expect(await watcher.exited).toBe(0);
    expect((await ask()).fresh).toBe(false);
  });

  it('removes the worktree when a sleep fails', async () => {
    behaviour.failAfterExploring = true;
    try {
      const failed = await runCli(['sleep', 'demo', '--json'], env);
      expect(failed.exitCode).toBe(2);
      expect(failed.stderr).toContain('scripted failure after exploring');
    } finally {
      behaviour.failAfterExploring = false;
    }
    expect(await worktreesLeft()).toEqual([]);
  });

  it('refuses --repo beside --file or --text, a folder that is not a repository, and an unknown ref', async () => {
    expect((await runCli(['context', 'put', 'x', '--repo', repository.dir, '--text', 'y'], env)).stderr).toContain('only one of them');
    const notRepository = await runCli(['context', 'put', 'x', '--repo', temporary], env);
    expect(notRepository.exitCode).toBe(1);
    expect(notRepository.stderr).toContain('is not a git repository');
    const unknownRef = await runCli(['context', 'put', 'x', '--repo', repository.dir, '--ref', 'no-such-branch'], env);
    expect(unknownRef.exitCode).toBe(1);
    expect(unknownRef.stderr).toContain('No commit "no-such-branch"');
  });
});
