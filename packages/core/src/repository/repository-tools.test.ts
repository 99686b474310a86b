/**
 * The repository tools, called as the AI SDK calls them, on a worktree of a real repository whose
 * commit holds symbolic links to /etc, to the original repository and to a secret beside the
 * worktree: every tool answers, and none reaches outside the worktree, whatever the path says.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateText, stepCountIs, type ToolExecutionOptions } from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestGitRepository, scriptedLanguageModel, textReply, toolCallsReply, type TestGitRepository } from '../testing/index.js';
import { readOnlyRepositoryTools, readWriteRepositoryTools, type RepositoryToolCall } from './repository-tools.js';
import { createWorktree, type RepositoryWorktree } from './worktree.js';

const secret = 'TOP SECRET 7f3a';
let outside: string;
let repository: TestGitRepository;
let repositoryFiles: string;
let worktree: RepositoryWorktree;
let calls: RepositoryToolCall[];
let tools: ReturnType<typeof readWriteRepositoryTools>;

const appSource = ['export function greet(name: string): string {', "  return `Hello, ${name}`;", '}', '', 'export const version = 1;', ''].join('\n');

beforeAll(async () => {
  outside = await realpath(await mkdtemp(path.join(os.tmpdir(), 'sleeptime-outside-')));
  await writeFile(path.join(outside, 'secret.txt'), `${secret}\n`);
  repository = await createTestGitRepository();
  await repository.write({
    'README.md': '# Demo\n\nA demo repository.\n',
    '.gitignore': 'build/\n',
    'src/app.ts': appSource,
    'src/util.ts': 'export const double = (x: number) => x * 2; // helper\nexport const triple = (x: number) => x * 3; // helper\n',
    'src/crlf.ts': 'const a = 1;\r\nconst b = 2;\r\n',
    'docs/guide.md': 'Read the guide.\n',
    'assets/logo.bin': '\u0000\u0001\u0002binary',
  });
  // Links the commit itself holds, as a hostile repository could.
  await symlink('/etc', path.join(repository.dir, 'etc-link'));
  await symlink('/etc/hostname', path.join(repository.dir, 'hostname-link'));
  await symlink(repository.dir, path.join(repository.dir, 'repo-link'));
  await symlink(path.join(outside, 'secret.txt'), path.join(repository.dir, 'secret-link'));
  await symlink('../../../..', path.join(repository.dir, 'up-link'));
  await symlink('src/app.ts', path.join(repository.dir, 'app-link'));
  await repository.commit('Initial');
  repositoryFiles = await repository.git('ls-files', '-s');
});

afterAll(async () => {
  await repository.remove();
  await rm(outside, { recursive: true, force: true });
});

beforeEach(async () => {
  worktree = await createWorktree({ repository: repository.dir, commit: 'HEAD' });
  calls = [];
  tools = readWriteRepositoryTools(worktree, { onToolCall: (call) => calls.push(call), limits: { listEntries: 50 } });
});

afterEach(async () => {
  await worktree.remove();
});

const options: ToolExecutionOptions = { toolCallId: 'test', messages: [] };
type Tools = typeof tools;
async function call<Name extends keyof Tools>(name: Name, input: Parameters<NonNullable<Tools[Name]['execute']>>[0]): Promise<string> {
  const execute = tools[name].execute as (input: unknown, options: ToolExecutionOptions) => Promise<string>;
  return execute(input, options);
}

describe('the two tool sets', () => {
  it('gives the sleep-time agent list, read and search, and the coding agent edit, write and delete as well', () => {
    expect(Object.keys(readOnlyRepositoryTools(worktree)).sort()).toEqual(['list_files', 'read_file', 'search']);
    expect(Object.keys(tools).sort()).toEqual(['delete_file', 'edit_file', 'list_files', 'read_file', 'search', 'write_file']);
  });
});

describe('list_files', () => {
  it('lists a folder, sorted, folders with / and links with @, and no .git', async () => {
    expect(await call('list_files', {})).toBe(
      ['.gitignore', 'README.md', 'app-link@', 'assets/', 'docs/', 'etc-link@', 'hostname-link@', 'repo-link@', 'secret-link@', 'src/', 'up-link@'].join('\n'),
    );
    expect(await call('list_files', { path: 'src' })).toBe('src/app.ts\nsrc/crlf.ts\nsrc/util.ts');
  });

  it('lists a subtree without descending into links, and stops at its bound', async () => {
    const listing = await call('list_files', { recursive: true });
    expect(listing.split('\n')).toContain('src/util.ts');
    expect(listing).not.toMatch(/etc-link\/|repo-link\//);
    const bounded = readOnlyRepositoryTools(worktree, { limits: { listEntries: 3 } });
    const execute = bounded.list_files.execute as (input: unknown, options: ToolExecutionOptions) => Promise<string>;
    expect(await execute({ recursive: true }, options)).toBe('.gitignore\nREADME.md\napp-link@\n(listing stopped at 3 entries: list a subfolder to see the rest)');
    expect(await execute({}, options)).toMatch(/^\.gitignore\nREADME\.md\napp-link@\n\(8 more entries not shown/);
  });

  it('answers a file or a missing folder with an error result', async () => {
    expect(await call('list_files', { path: 'README.md' })).toMatch(/^Error: README\.md is a file/);
    expect(await call('list_files', { path: 'nope' })).toBe('Error: No such folder: nope');
  });
});

describe('read_file', () => {
  it('reads a file as it is, with a header of the lines shown', async () => {
    expect(await call('read_file', { path: 'src/app.ts' })).toBe(`src/app.ts: lines 1-5 of 5\n${appSource.trimEnd()}`);
    expect(await call('read_file', { path: './src/app.ts', start_line: 2, end_line: 3 })).toBe("src/app.ts: lines 2-3 of 5\n  return `Hello, ${name}`;\n}");
    expect(await call('read_file', { path: 'app-link' })).toMatch(/^src\/app\.ts: lines 1-5 of 5/);
  });

  it('bounds a read in lines and characters and says where to read on', async () => {
    const bounded = readOnlyRepositoryTools(worktree, { limits: { readLines: 2 } });
    const execute = bounded.read_file.execute as (input: unknown, options: ToolExecutionOptions) => Promise<string>;
    expect(await execute({ path: 'src/app.ts' }, options)).toBe('src/app.ts: lines 1-2 of 5\nexport function greet(name: string): string {\n  return `Hello, ${name}`;\n(3 more lines: read on with start_line=3)');
    const tiny = readOnlyRepositoryTools(worktree, { limits: { readCharacters: 60 } });
    const tinyRead = tiny.read_file.execute as (input: unknown, options: ToolExecutionOptions) => Promise<string>;
    expect(await tinyRead({ path: 'src/app.ts' }, options)).toMatch(/^src\/app\.ts: lines 1-1 of 5\n.*\n\(4 more lines: read on with start_line=2\)$/);
    const small = readOnlyRepositoryTools(worktree, { limits: { readFileBytes: 10 } });
    const smallRead = small.read_file.execute as (input: unknown, options: ToolExecutionOptions) => Promise<string>;
    expect(await smallRead({ path: 'src/app.ts' }, options)).toMatch(/^Error: src\/app\.ts is \d+ bytes, more than the 10 bytes read_file opens/);
  });

  it('describes binary files, folders, missing files and lines past the end', async () => {
    expect(await call('read_file', { path: 'assets/logo.bin' })).toBe('assets/logo.bin is a binary file (9 bytes); it is not shown.');
    expect(await call('read_file', { path: 'src' })).toBe('Error: src is a folder: list it with list_files.');
    expect(await call('read_file', { path: 'src/missing.ts' })).toBe('Error: No such file: src/missing.ts');
    expect(await call('read_file', { path: 'src/app.ts', start_line: 9 })).toBe('Error: src/app.ts has 5 lines; start_line 9 is past its end.');
  });
});

describe('search', () => {
  it('finds plain text, ignoring case by default, as path:line: text', async () => {
    expect(await call('search', { pattern: 'HELPER' })).toBe('src/util.ts:1: export const double = (x: number) => x * 2; // helper\nsrc/util.ts:2: export const triple = (x: number) => x * 3; // helper');
    expect(await call('search', { pattern: 'HELPER', case_sensitive: true })).toBe('No matches for "HELPER".');
    expect(await call('search', { pattern: '(x: number)' })).toMatch(/^src\/util\.ts:1:/);
  });

  it('takes regular expressions and a path, and bounds the matches', async () => {
    expect(await call('search', { pattern: 'export (function|const) [a-z]+', regex: true, path: 'src/app.ts' })).toBe('src/app.ts:1: export function greet(name: string): string {\nsrc/app.ts:5: export const version = 1;');
    expect(await call('search', { pattern: 'export', max_results: 1 })).toMatch(/^src\/app\.ts:1: export function greet.*\n\(more matches not shown/);
    expect(await call('search', { pattern: '[unclosed', regex: true })).toMatch(/^Error: The search failed: /);
    expect(await call('search', { pattern: 'x', path: 'nope' })).toBe('Error: No such file or folder: nope');
  });

  it('finds new files and never binary files or what links point at', async () => {
    await call('write_file', { path: 'src/fresh.ts', content: 'export const fresh = "needle";\n' });
    expect(await call('search', { pattern: 'needle' })).toBe('src/fresh.ts:1: export const fresh = "needle";');
    expect(await call('search', { pattern: 'binary' })).toBe('No matches for "binary".');
    expect(await call('search', { pattern: secret })).toBe(`No matches for ${JSON.stringify(secret)}.`);
    // /etc/passwd, through etc-link/ and up-link/, is never read either.
    expect(await call('search', { pattern: 'root:' })).toBe('No matches for "root:".');
  });
});

describe('edit_file', () => {
  it('replaces text that occurs once, keeping $ patterns as written', async () => {
    expect(await call('edit_file', { path: 'src/app.ts', old_string: 'export const version = 1;', new_string: "export const version = 2;\nexport const tag = '$&';" })).toBe(
      'Edited src/app.ts at line 5: replaced 1 line with 2.',
    );
    expect(await readFile(path.join(worktree.root, 'src/app.ts'), 'utf8')).toContain("export const version = 2;\nexport const tag = '$&';\n");
  });

  it('says when the text is missing, not unique, empty or unchanged, and changes nothing', async () => {
    expect(await call('edit_file', { path: 'src/app.ts', old_string: 'version = 3', new_string: 'x' })).toMatch(/^Error: old_string was not found in src\/app\.ts\. It must match the file exactly/);
    expect(await call('edit_file', { path: 'src/util.ts', old_string: '// helper', new_string: '// tool' })).toBe(
      'Error: old_string occurs 2 times in src/util.ts (lines 1, 2); include more of the surrounding lines so that it matches exactly once.',
    );
    expect(await call('edit_file', { path: 'src/app.ts', old_string: '', new_string: 'x' })).toMatch(/^Error: old_string is empty/);
    expect(await call('edit_file', { path: 'src/app.ts', old_string: 'greet', new_string: 'greet' })).toMatch(/^Error: old_string and new_string are the same/);
    expect(await call('edit_file', { path: 'src/new.ts', old_string: 'a', new_string: 'b' })).toBe('Error: No such file: src/new.ts. To make a new file, use write_file.');
    expect(await call('edit_file', { path: 'assets/logo.bin', old_string: 'binary', new_string: 'text' })).toMatch(/^Error: assets\/logo\.bin is a binary file/);
    expect(await readFile(path.join(worktree.root, 'src/app.ts'), 'utf8')).toBe(appSource);
    expect(await readFile(path.join(worktree.root, 'src/util.ts'), 'utf8')).toContain('// helper\n');
  });

  it('matches LF text in a CRLF file and keeps its line ends', async () => {
    expect(await call('edit_file', { path: 'src/crlf.ts', old_string: 'const a = 1;\nconst b = 2;', new_string: 'const a = 10;\nconst b = 20;' })).toMatch(/^Edited src\/crlf\.ts/);
    expect(await readFile(path.join(worktree.root, 'src/crlf.ts'), 'utf8')).toBe('const a = 10;\r\nconst b = 20;\r\n');
  });
});

describe('write_file', () => {
  it('creates files in new folders and replaces whole files', async () => {
    expect(await call('write_file', { path: 'src/feature/csv.ts', content: 'export const csv = 1;\n' })).toBe('Created src/feature/csv.ts (1 line, 22 bytes).');
    expect(await call('write_file', { path: 'README.md', content: '# Renamed\n' })).toBe('Replaced README.md (1 line, 10 bytes).');
    expect(await readFile(path.join(worktree.root, 'src/feature/csv.ts'), 'utf8')).toBe('export const csv = 1;\n');
  });

  it('refuses folders, paths under a file and content over its bound', async () => {
    expect(await call('write_file', { path: 'src', content: 'x' })).toBe('Error: src is a folder.');
    expect(await call('write_file', { path: 'README.md/x.ts', content: 'x' })).toMatch(/^Error: Cannot make README\.md\/x\.ts: a part of its path is a file/);
    const small = readWriteRepositoryTools(worktree, { limits: { writeBytes: 4 } });
    const write = small.write_file.execute as (input: unknown, options: ToolExecutionOptions) => Promise<string>;
    expect(await write({ path: 'big.txt', content: '12345' }, options)).toBe('Error: The content is 5 bytes, more than the 4 bytes write_file takes; write a smaller file.');
  });
});

describe('delete_file', () => {
  it('deletes a file, which the edited files then list as deleted', async () => {
    expect(await call('delete_file', { path: 'docs/guide.md' })).toBe('Deleted docs/guide.md.');
    expect(existsSync(path.join(worktree.root, 'docs/guide.md'))).toBe(false);
    expect(await call('read_file', { path: 'docs/guide.md' })).toBe('Error: No such file: docs/guide.md');
    const { editedFiles } = await import('./edited-files.js');
    expect((await editedFiles(worktree)).changes).toEqual([{ path: 'docs/guide.md', status: 'deleted' }]);
  });

  it('refuses folders, the root, missing files and links, inside or out, and deletes nothing', async () => {
    expect(await call('delete_file', { path: 'src' })).toBe('Error: src is a folder; delete_file removes files one by one.');
    expect(await call('delete_file', { path: '' })).toBe('Error: Give the path of a file, not the repository root.');
    expect(await call('delete_file', { path: 'src/missing.ts' })).toBe('Error: No such file: src/missing.ts');
    expect(await call('delete_file', { path: 'app-link' })).toMatch(/^Error: app-link is a symbolic link, and the tools do not write through links; edit the file it points to, src\/app\.ts/);
    expect(await call('delete_file', { path: 'secret-link' })).toMatch(/^Error: secret-link is a symbolic link/);
    expect(existsSync(path.join(worktree.root, 'app-link'))).toBe(true);
    expect(existsSync(path.join(worktree.root, 'src/app.ts'))).toBe(true);
  });
});

describe('nothing outside the worktree', () => {
  const escapes = [
    '../secret.txt',
    '../../../../etc/passwd',
    'src/../../git/config',
    '/etc/passwd',
    '/',
    '~/.bashrc',
    'C:/Windows/win.ini',
    'src\\..\\..\\git\\config',
    '.git/config',
    '.git',
    '.GIT/HEAD',
    'src/.git/config',
    'etc-link/hostname',
    'etc-link',
    'hostname-link',
    'repo-link/README.md',
    'repo-link/.git/config',
    'repo-link/src',
    'secret-link',
    'up-link/etc/hostname',
  ];

  it.each(escapes)('refuses %j in every tool, as an error result', async (requested) => {
    const before = await readdir(worktree.folder);
    const results = [
      await call('list_files', { path: requested }),
      await call('list_files', { path: requested, recursive: true }),
      await call('read_file', { path: requested }),
      await call('search', { pattern: 'e', path: requested }),
      await call('edit_file', { path: requested, old_string: 'a', new_string: 'b' }),
      await call('write_file', { path: requested, content: 'owned' }),
      await call('write_file', { path: `${requested}/owned.txt`, content: 'owned' }),
      await call('delete_file', { path: requested }),
      await call('delete_file', { path: `${requested}/secret.txt` }),
    ];
    for (const result of results) {
      expect(result).toMatch(/^Error: /);
      expect(result).not.toContain(secret);
      expect(result).not.toContain('root:');
    }
    expect(calls.every((entry) => !entry.ok)).toBe(true);
    expect(await readdir(worktree.folder)).toEqual(before);
  });

  it('refuses an absolute path even into the worktree itself, and an inside link on writes', async () => {
    expect(await call('read_file', { path: path.join(worktree.root, 'README.md') })).toMatch(/^Error: Absolute paths are not allowed/);
    expect(await call('write_file', { path: 'app-link', content: 'x' })).toBe('Error: app-link is a symbolic link, and the tools do not write through links; edit the file it points to, src/app.ts, instead.');
    expect(await call('edit_file', { path: 'app-link', old_string: 'greet', new_string: 'hi' })).toMatch(/^Error: app-link is a symbolic link/);
  });

  it('leaves the original repository, the secret and /etc as they were', async () => {
    for (const requested of escapes) {
      await call('write_file', { path: requested, content: 'owned' });
      await call('edit_file', { path: requested, old_string: secret, new_string: 'owned' });
      await call('delete_file', { path: requested });
    }
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe(`${secret}\n`);
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await repository.git('status', '--porcelain')).toBe('');
    expect(await repository.git('ls-files', '-s')).toBe(repositoryFiles);
    expect(existsSync(path.join(repository.dir, 'owned.txt'))).toBe(false);
    expect(existsSync(path.join(path.dirname(worktree.root), 'owned'))).toBe(false);
    expect(existsSync('/etc/hostname') || existsSync('/etc/passwd')).toBe(true);
    expect(existsSync(path.join(path.dirname(worktree.root), 'git', 'HEAD'))).toBe(true);
  });
});

describe('in a model loop', () => {
  it('hands errors back to the model as results, and the loop goes on to an edit', async () => {
    const model = scriptedLanguageModel([
      toolCallsReply([{ toolName: 'read_file', input: { path: '../../etc/passwd' } }], { input: 10, output: 5 }),
      toolCallsReply([{ toolName: 'edit_file', input: { path: 'src/app.ts', old_string: 'version = 1', new_string: 'version = 2' } }], { input: 20, output: 5 }),
      textReply('Done.', { input: 30, output: 2 }),
    ]);
    const result = await generateText({ model, prompt: 'Bump the version.', tools, stopWhen: stepCountIs(5) });
    expect(result.text).toBe('Done.');
    const outputs = result.steps.flatMap((step) => step.toolResults.map((toolResult) => toolResult.output));
    expect(outputs).toEqual(['Error: "../../etc/passwd" is outside the repository.', 'Edited src/app.ts at line 5: replaced 1 line with 1.']);
    expect(calls.map((entry) => [entry.toolName, entry.ok])).toEqual([
      ['read_file', false],
      ['edit_file', true],
    ]);
  });
});
