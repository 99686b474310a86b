/** A repository rendered as a context's text: one commit's tree, README and recent history, bounded. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGitRepository, type TestGitRepository } from '../testing/test-git-repository.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { renderRepositoryContext, summarizeTree } from './repository-context.js';

describe('renderRepositoryContext', () => {
  let repository: TestGitRepository;
  let first: string;
  let merge: string;

  beforeAll(async () => {
    repository = await createTestGitRepository({ name: 'demo' });
    first = await repository.commit('Initial layout', {
      'README.md': `# demo\n\nParses files.\n\n${'Long README line about parsers.\n'.repeat(300)}`,
      'src/index.ts': 'export * from "./parser.js";\n',
      'src/parser.ts': 'export function parseCsv(text: string) { return text.split(","); }\n',
    });
    await repository.branch('feature/json-parser');
    await repository.commit('Parse JSON', { 'src/json.ts': 'export const parseJson = JSON.parse;\n', 'test/json.test.ts': 'test\n' });
    await repository.checkout('main');
    merge = await repository.merge('feature/json-parser', 'Merge pull request #7 from someone/feature/json-parser\n\nAdd a JSON parser\n\nBeside the CSV one.');
    // A change in the working folder, never committed: not part of the text.
    await repository.write({ 'src/uncommitted.ts': 'x\n' });
  });
  afterAll(async () => {
    await repository.remove();
  });

  it('renders the commit: its files, the head of its README and its recent pull requests, newest first', async () => {
    const rendering = await renderRepositoryContext({ repository: `${repository.dir}/src` });
    expect(rendering).toMatchObject({ repository: repository.dir, ref: 'HEAD', commit: merge });
    const { text } = rendering;
    expect(text).toMatch(new RegExp(`^# Repository demo\nRef HEAD, commit ${merge}, 2024-01-01\\.`));
    expect(text).toContain('## Files (5)\n\nREADME.md\nsrc/index.ts\nsrc/json.ts\nsrc/parser.ts\ntest/json.test.ts');
    expect(text).not.toContain('uncommitted');
    expect(text).toContain('## README (README.md, its first 4000 characters)\n\n# demo\n\nParses files.');
    expect(text).toContain('[…]');
    expect(text).toContain('## Recent changes (newest first, on the first-parent line of HEAD)');
    expect(text).toContain('### Pull request #7: Add a JSON parser');
    expect(text).toContain('Beside the CSV one.');
    expect(text).toContain('- src/json.ts (+1 -0)');
    expect(text.indexOf('Pull request #7')).toBeLessThan(text.indexOf('Initial layout'));
  });

  it('renders an older ref as it was, and keeps to its bounds', async () => {
    const older = await renderRepositoryContext({ repository: repository.dir, ref: first, bounds: { readmeCharacters: 100, totalCharacters: 2000 } });
    expect(older.commit).toBe(first);
    expect(older.text).not.toContain('json');
    expect(older.text.length).toBeLessThanOrEqual(2000);
    const tiny = await renderRepositoryContext({ repository: repository.dir, bounds: { totalCharacters: 300 } });
    // The history goes first, then the text is cut.
    expect(tiny.text.length).toBeLessThanOrEqual(300);
    expect(tiny.text).not.toContain('Recent changes');
  });

  it('names a folder that is not a repository, and a ref that names no commit', async () => {
    expect(await sleeptimeErrorOf(renderRepositoryContext({ repository: '/nonexistent/folder' }))).toMatchObject({ code: 'repository_not_found' });
    expect(await sleeptimeErrorOf(renderRepositoryContext({ repository: repository.dir, ref: 'no-such-branch' }))).toMatchObject({ code: 'commit_not_found' });
  });
});

describe('summarizeTree', () => {
  const files = ['README.md', 'src/a.ts', 'src/b.ts', 'src/deep/c.ts', 'src/deep/d.ts', 'test/a.test.ts'];

  it('lists every file when they fit', () => {
    expect(summarizeTree(files, 6)).toEqual(files);
  });

  it('otherwise folds the deepest folders that make it fit, with their file counts', () => {
    expect(summarizeTree(files, 5)).toEqual(['README.md', 'src/a.ts', 'src/b.ts', 'src/deep/ (2 files)', 'test/a.test.ts']);
    expect(summarizeTree(files, 3)).toEqual(['README.md', 'src/ (4 files)', 'test/ (1 file)']);
  });

  it('cuts the top level when even it does not fit', () => {
    expect(summarizeTree(files, 2)).toEqual(['README.md', '... and 2 more entries']);
  });
});
