/**
 * Repository contexts in the engine: metadata `repository` = { path, ref, commit } is checked on
 * every put (its shape; under an access list, its folder), and a sleep on such a context explores
 * a throwaway worktree of that commit with the read-only tools, under the repository prompt style,
 * and removes the worktree however the sleep ends.
 */
import { mkdtemp, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { finish, promptText, rethink, scriptedLanguageModel, systemMessage, testModel, toolCallsReply, userMessageText, type ScriptStep } from '../testing/mock-models.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { createTestGitRepository, type TestGitRepository } from '../testing/test-git-repository.js';
import { renderRepositoryContext } from '../repository/repository-context.js';
import { createEngine, type EngineOptions } from './index.js';

const notes = 'Parsers live in src/parser.ts: parseCsv splits on commas. A new format goes beside it and is exported from src/index.ts.';

let repository: TestGitRepository;
let firstCommit: string;
let dataDir: string;
let worktreeDir: string;
let store: Store;

beforeAll(async () => {
  repository = await createTestGitRepository({ name: 'demo' });
  firstCommit = await repository.commit('Add a CSV parser', {
    'README.md': '# demo\n',
    'src/index.ts': 'export * from "./parser.js";\n',
    'src/parser.ts': 'export function parseCsv(text: string): string[] {\n  return text.split(",");\n}\n',
  });
});
afterAll(async () => {
  await repository.remove();
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-repository-engine-'));
  worktreeDir = join(dataDir, 'worktrees');
  store = await openStore({ kind: 'sqlite', dataDir });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

function engineWith(script: ScriptStep[], options: Partial<EngineOptions> = {}) {
  const model = testModel(scriptedLanguageModel(script));
  return { engine: createEngine({ store, model, repositoryWorktreeDir: worktreeDir, ...options }), model };
}

async function putRepository(engine: ReturnType<typeof engineWith>['engine'], id = 'demo') {
  const rendering = await renderRepositoryContext({ repository: repository.dir });
  return engine.putContext({ id, text: rendering.text, metadata: { repository: { path: rendering.repository, ref: rendering.ref, commit: rendering.commit } } });
}

const worktreesLeft = async () => (await readdir(worktreeDir).catch(() => [])).filter((name) => name.startsWith('sleeptime-worktree-'));

describe('repository contexts', () => {
  it('explores the commit with the read-only tools, publishes the notes, and removes the worktree', async () => {
    let worktreesDuringSleep: string[] = [];
    const readFile: ScriptStep = async () => {
      worktreesDuringSleep = await worktreesLeft();
      return toolCallsReply([{ toolName: 'read_file', input: { path: 'src/parser.ts' } }], { input: 100, output: 10 });
    };
    const { engine, model } = engineWith([readFile, rethink(notes, { input: 200, output: 30 }), finish({ input: 220, output: 1 })]);
    const context = await putRepository(engine);
    expect(context.metadata).toEqual({ repository: { path: repository.dir, ref: 'HEAD', commit: firstCommit } });

    const result = await engine.sleep('demo');
    expect(result).toMatchObject({ learned: notes, sourceVersion: 1 });
    expect(result.branches[0]).toMatchObject({ explorationCalls: 1, stopReason: 'finished', rewrites: 1 });
    const calls = model.languageModel.doGenerateCalls;
    expect(calls[0]?.tools?.map((offered) => offered.name).sort()).toEqual(['list_files', 'read_file', 'rethink_memory', 'search']);
    expect(systemMessage(calls[0]?.prompt ?? [])).toContain('its file tree, its README and its recent pull requests');
    expect(userMessageText(calls[0]?.prompt ?? [])).toContain('# Repository demo');
    // The file's content, read from the worktree, reached the model.
    expect(promptText(calls[1]?.prompt ?? [])).toContain('return text.split(\\",\\");');
    expect(worktreesDuringSleep).toHaveLength(1);
    expect(await worktreesLeft()).toEqual([]);

    const [run] = await engine.runs('demo');
    expect(run?.settings).toMatchObject({ promptStyle: 'repository', repository: { ref: 'HEAD', commit: firstCommit } });
    expect((await engine.learnedContext('demo'))?.fresh).toBe(true);
  });

  it('removes the worktree when the sleep fails, and keeps the learned context it had', async () => {
    const { engine } = engineWith([toolCallsReply([{ toolName: 'list_files', input: {} }], { input: 1, output: 1 }), new Error('provider exploded')]);
    await putRepository(engine);
    await expect(engine.sleep('demo')).rejects.toThrow('provider exploded');
    expect(await worktreesLeft()).toEqual([]);
    expect(await engine.learnedContext('demo')).toBeUndefined();
  });

  it('is stale once a new commit is put, until a sleep on the new commit publishes', async () => {
    const seen: string[] = [];
    const readIndex: ScriptStep = async (options: LanguageModelV3CallOptions) => {
      seen.push(userMessageText(options.prompt));
      return toolCallsReply([{ toolName: 'read_file', input: { path: 'src/json.ts' } }], { input: 1, output: 1 });
    };
    const { engine } = engineWith([rethink(notes, { input: 1, output: 1 }), finish({ input: 1, output: 1 }), readIndex, rethink(`${notes} JSON: src/json.ts.`, { input: 1, output: 1 }), finish({ input: 1, output: 1 })]);
    await putRepository(engine, 'moving');
    await engine.sleep('moving');
    const second = await repository.commit('Add a JSON parser', { 'src/json.ts': 'export const parseJson = JSON.parse;\n' });
    try {
      const context = await putRepository(engine, 'moving');
      expect(context).toMatchObject({ version: 2, metadata: { repository: { commit: second } } });
      expect((await engine.learnedContext('moving'))?.fresh).toBe(false);
      const result = await engine.sleep('moving');
      expect(seen[0]).toContain('Add a JSON parser');
      expect(result.learned).toContain('src/json.ts');
      expect((await engine.learnedContext('moving'))?.fresh).toBe(true);
    } finally {
      await repository.git('reset', '--quiet', '--hard', firstCommit);
    }
  });

  it('refuses the text protocol for a repository context before anything is written', async () => {
    const { engine, model } = engineWith([]);
    await putRepository(engine);
    expect(await sleeptimeErrorOf(engine.sleep('demo', { protocol: 'text' }))).toMatchObject({ code: 'tools_required', category: 'user' });
    expect(await engine.runs('demo')).toEqual([]);
    expect(model.languageModel.doGenerateCalls).toHaveLength(0);
  });

  it('fails a sleep whose commit is gone with a user error, before a run starts', async () => {
    const { engine } = engineWith([]);
    await engine.putContext({ id: 'gone', text: 'A repository.', metadata: { repository: { path: repository.dir, ref: 'HEAD', commit: 'f'.repeat(40) } } });
    expect(await sleeptimeErrorOf(engine.sleep('gone'))).toMatchObject({ code: 'commit_not_found', category: 'user' });
    expect(await engine.runs('gone')).toEqual([]);
  });

  it('checks the reserved key on every put', async () => {
    const { engine } = engineWith([]);
    for (const repositoryValue of ['github.com/x/y', { path: 'relative/path', ref: 'HEAD', commit: firstCommit }, { path: repository.dir, ref: 'HEAD', commit: 'abc' }]) {
      const error = await sleeptimeErrorOf(engine.putContext({ id: 'bad', text: 'x', metadata: { repository: repositoryValue } }));
      expect(error).toMatchObject({ code: 'invalid_metadata', category: 'user' });
      expect(error.message).toMatch(/metadata\.repository.* is invalid .*reserved for repository contexts/);
    }
    await expect(engine.getContext('bad')).rejects.toMatchObject({ code: 'context_not_found' });
  });

  describe('with an access list (a server: repositoryAccess { roots })', () => {
    it('takes only repositories inside a root, links resolved, and says nothing of the rest of the disk', async () => {
      const outside = { path: repository.dir, ref: 'HEAD', commit: firstCommit };
      const none = engineWith([], { repositoryAccess: { roots: [] } }).engine;
      expect(await sleeptimeErrorOf(none.putContext({ id: 'r', text: 'x', metadata: { repository: outside } }))).toMatchObject({ code: 'repository_not_allowed', category: 'user' });

      const root = join(dataDir, 'allowed');
      await mkdir(root);
      const limited = engineWith([], { repositoryAccess: { roots: [root] } }).engine;
      const refused = await sleeptimeErrorOf(limited.putContext({ id: 'r', text: 'x', metadata: { repository: outside } }));
      expect(refused).toMatchObject({ code: 'repository_not_allowed' });
      expect(refused.message).not.toContain(repository.dir);
      // A link inside the root to a folder outside it is outside.
      await symlink(repository.dir, join(root, 'link'));
      expect(await sleeptimeErrorOf(limited.putContext({ id: 'r', text: 'x', metadata: { repository: { ...outside, path: join(root, 'link') } } }))).toMatchObject({ code: 'repository_not_allowed' });
      expect(await sleeptimeErrorOf(limited.putContext({ id: 'r', text: 'x', metadata: { repository: { ...outside, path: join(root, 'missing') } } }))).toMatchObject({ code: 'repository_not_allowed' });
      await expect(limited.getContext('r')).rejects.toMatchObject({ code: 'context_not_found' });

      const inRoot = engineWith([], { repositoryAccess: { roots: [join(repository.dir, '..')] } }).engine;
      await expect(inRoot.putContext({ id: 'r', text: 'x', metadata: { repository: outside } })).resolves.toMatchObject({ version: 1 });
      // A context written by a more trusting engine is checked again before a sleep.
      expect(await sleeptimeErrorOf(limited.sleep('r'))).toMatchObject({ code: 'repository_not_allowed' });
      expect(await worktreesLeft()).toEqual([]);
    });
  });
});
