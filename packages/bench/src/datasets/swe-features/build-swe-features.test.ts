/** SWE-Features items from the history of real repositories the tests build: merges, and linear commits. */
import type { ToolExecutionOptions } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorktree, editedFiles, readWriteRepositoryTools } from '@sleeptime/core/repository';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';
import { buildSweFeatures, chooseMode } from './build-swe-features.js';
import { fileSetF1 } from './file-set-f1.js';
import { readFirstParentHistory } from './git-history.js';
import { sweFeaturesItemSchema, type SweFeaturesItem } from './swe-features-types.js';
import { buildLinearRepository, buildMergedRepository, type LinearRepository, type MergedRepository } from './swe-features-test-support.js';

let merged: MergedRepository;
let linear: LinearRepository;

beforeAll(async () => {
  [merged, linear] = await Promise.all([buildMergedRepository(), buildLinearRepository()]);
});

afterAll(async () => {
  await Promise.all([merged.repository.remove(), linear.repository.remove()]);
});

const parent = (repository: MergedRepository['repository'] | LinearRepository['repository'], commit: string) => repository.git('rev-parse', `${commit}^1`);

describe('a repository whose pull requests are merged', () => {
  let items: SweFeaturesItem[];
  let build: Awaited<ReturnType<typeof buildSweFeatures>>;

  beforeAll(async () => {
    build = await buildSweFeatures({ repository: merged.repository.dir, contextPullRequests: 2 });
    items = build.items;
  });

  it('takes the feature merges, oldest first, and says why the others were left out', async () => {
    expect(build.mode).toBe('merges');
    expect(items.map((item) => item.featureCommit)).toEqual([merged.merges.csv, merged.merges.json, merged.merges.xml]);
    expect(items.map((item) => item.id)).toEqual(['reports-pr-1', 'reports-pr-3', expect.stringMatching(/^reports-[0-9a-f]{10}$/)]);
    expect(build.considered).toBe(6);
    expect(build.skipped).toEqual({ 'sync-merge': 1, 'no-files': 0, 'too-many-files': 0, 'no-source-files': 1, 'not-a-feature': 1 });
    expect(build.scanned).toBe(8);
    for (const item of items) expect(sweFeaturesItemSchema.parse(item)).toEqual(item);
  });

  it("bases each item on the merge's first parent, with every file its pull request changed as gold", async () => {
    const [csv, json, xml] = items as [SweFeaturesItem, SweFeaturesItem, SweFeaturesItem];
    expect(csv.baseCommit).toBe(merged.initial);
    expect(json.baseCommit).toBe(await parent(merged.repository, merged.merges.json));
    expect(xml.baseCommit).toBe(merged.merges.docs);
    expect(csv).toMatchObject({ source: 'repository', kind: 'merge', pullRequest: 1, repository: merged.repository.dir, repositoryName: 'reports' });
    expect(csv.goldFiles).toEqual(['src/cli.ts', 'src/export/csv.ts', 'src/index.ts', 'test/csv.test.ts']);
    expect(csv.testFiles).toEqual(['test/csv.test.ts']);
    expect(json.goldFiles).toEqual(['src/cli.ts', 'src/export/json.ts', 'src/index.ts']);
    expect(xml.goldFiles).toEqual(['README.md', 'src/cli.ts', 'src/export/xml.ts', 'src/index.ts', 'test/xml.test.ts']);
  });

  it('turns merge messages into tasks: the title and description, else the branch and its commits', () => {
    const [csv, json, xml] = items as [SweFeaturesItem, SweFeaturesItem, SweFeaturesItem];
    expect(csv.title).toBe('Add CSV export');
    expect(csv.task).toBe('Add CSV export\n\nUsers can export reports as CSV.');
    expect(json.title).toBe('Json export');
    expect(json.task).toBe('Json export\n\nCommits in this pull request:\n- JSON writer\n- CLI flag for JSON');
    expect(xml.title).toBe('Xml export');
    expect(xml.pullRequest).toBeNull();
    expect(xml.task).toBe('Xml export\n\nCommits in this pull request:\n- Add XML writer');
  });

  it('gives each item the related earlier pull requests as its context: most files in common, then folders, listed oldest first', () => {
    const [csv, json, xml] = items as [SweFeaturesItem, SweFeaturesItem, SweFeaturesItem];
    expect(csv.contextPullRequests).toEqual([]);
    expect(csv.context).toBe('');
    // #1 shares two files with the JSON export, #2 its src/ folder.
    expect(json.contextPullRequests.map((pr) => pr.pullRequest)).toEqual([1, 2]);
    // #1 and #3 share two files each with the XML export; #1 more folders. #4 (docs) and #2 are left out at K = 2.
    expect(xml.contextPullRequests.map((pr) => pr.pullRequest)).toEqual([1, 3]);
    const first = json.contextPullRequests[0];
    expect(first).toMatchObject({ commit: merged.merges.csv, title: 'Add CSV export', body: 'Users can export reports as CSV.', moreFiles: 0 });
    expect(first?.files).toEqual([
      { path: 'src/cli.ts', added: 2, removed: 2 },
      { path: 'src/export/csv.ts', added: 1, removed: 0 },
      { path: 'src/index.ts', added: 1, removed: 0 },
      { path: 'test/csv.test.ts', added: 1, removed: 0 },
    ]);
    expect(json.context).toBe(
      [
        'Earlier changes to reports, oldest first:',
        '',
        '## Pull request #1: Add CSV export',
        `Date ${first?.date?.slice(0, 10)}, commit ${merged.merges.csv.slice(0, 10)}.`,
        '',
        'Users can export reports as CSV.',
        '',
        'Files changed (lines added, removed):',
        '- src/cli.ts (+2 -2)',
        '- src/export/csv.ts (+1 -0)',
        '- src/index.ts (+1 -0)',
        '- test/csv.test.ts (+1 -0)',
        '',
        '## Pull request #2: Fix rounding in render',
        `Date ${json.contextPullRequests[1]?.date?.slice(0, 10)}, commit ${merged.merges.fix.slice(0, 10)}.`,
        '',
        'Files changed (lines added, removed):',
        '- src/format.ts (+1 -1)',
      ].join('\n'),
    );
  });

  it('keeps to --limit (the most recent features) and to the context bound', async () => {
    const latest = await buildSweFeatures({ repository: merged.repository.dir, limit: 1, contextPullRequests: 3, contextBounds: { totalCharacters: 400 } });
    expect(latest.items.map((item) => item.featureCommit)).toEqual([merged.merges.xml]);
    expect(latest.considered).toBe(2);
    const [xml] = latest.items as [SweFeaturesItem];
    expect(xml.context.length).toBeLessThanOrEqual(400);
    expect(xml.contextPullRequests.length).toBeGreaterThanOrEqual(1);
    expect(xml.contextPullRequests.length).toBeLessThan(3);
  });

  it("leaves the user's repository as it was", async () => {
    expect(await merged.repository.git('status', '--porcelain')).toBe('');
    expect(await merged.repository.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });

  it('gives the agents a worktree of the base commit, and the real change scores F1 = 1 against the gold files', async () => {
    const [csv] = items as [SweFeaturesItem];
    const worktree = await createWorktree({ repository: csv.repository, commit: csv.baseCommit });
    try {
      const tools = readWriteRepositoryTools(worktree);
      type Execute = (input: unknown, options: ToolExecutionOptions) => Promise<string>;
      const options: ToolExecutionOptions = { toolCallId: 'test', messages: [] };
      expect(await (tools.read_file.execute as Execute)({ path: 'src/export/csv.ts' }, options)).toBe('Error: No such file: src/export/csv.ts');
      for (const file of csv.goldFiles) {
        const content = await merged.repository.git('show', `${csv.featureCommit}:${file}`);
        expect(await (tools.write_file.execute as Execute)({ path: file, content: `${content}\n` }, options)).toMatch(/^(Created|Replaced) /);
      }
      const edited = await editedFiles(worktree);
      expect(edited.files).toEqual(csv.goldFiles);
      expect(fileSetF1(edited.files, csv.goldFiles)).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    } finally {
      await worktree.remove();
    }
  });
});

describe('a repository of linear commits', () => {
  it('takes feature commits: a feat: prefix, a leading "Add", or several source files', async () => {
    const build = await buildSweFeatures({ repository: linear.repository.dir });
    expect(build.mode).toBe('commits');
    const { commits } = linear;
    expect(build.items.map((item) => item.featureCommit)).toEqual([commits.user, commits.login, commits.session]);
    expect(build.skipped).toEqual({ 'sync-merge': 0, 'no-files': 0, 'too-many-files': 0, 'no-source-files': 1, 'not-a-feature': 3 });
    const [user, login, session] = build.items as [SweFeaturesItem, SweFeaturesItem, SweFeaturesItem];
    expect(user).toMatchObject({ kind: 'commit', baseCommit: commits.initial, pullRequest: null, title: 'feat: add a user model', task: 'feat: add a user model\n\nUsers have a name and an email.' });
    expect(user.goldFiles).toEqual(['src/app.py', 'src/models/user.py']);
    expect(user.contextPullRequests.map((change) => change.commit)).toEqual([commits.initial]);
    // A squash merge's "(#12)" is its pull request; trailers leave the description.
    expect(login).toMatchObject({ id: 'service-pr-12', pullRequest: 12, title: 'Add a login endpoint', task: 'Add a login endpoint\n\nPOST /login checks a password.', baseCommit: commits.fix });
    expect(login.testFiles).toEqual(['tests/test_login.py']);
    // The login commit shares a file; the refactor and the user model share the src/ folder (the refactor is newer).
    expect(session.contextPullRequests.map((change) => change.commit)).toEqual([commits.login, commits.refactor, commits.user].sort((left, right) => order(left) - order(right)));
    expect(session.context).toContain('## Commit ');
    expect(session.context).toContain('## Pull request #12: Add a login endpoint');
  });

  it('takes only the features from --since on, and still finds their context before it', async () => {
    const loginDate = (await linear.repository.git('log', '-1', '--format=%cI', linear.commits.login)).trim();
    const build = await buildSweFeatures({ repository: linear.repository.dir, since: loginDate });
    expect(build.items.map((item) => item.featureCommit)).toEqual([linear.commits.login, linear.commits.session]);
    expect(build.items[0]?.contextPullRequests.length).toBe(3);
  });

  it('can be told to read merges, or commits, whatever it would choose', async () => {
    expect((await buildSweFeatures({ repository: linear.repository.dir, mode: 'merges' })).items).toEqual([]);
    const commitsOfMerged = await buildSweFeatures({ repository: merged.repository.dir, mode: 'commits' });
    expect(commitsOfMerged.mode).toBe('commits');
    expect(commitsOfMerged.items).toEqual([]);
    expect(chooseMode(await readFirstParentHistory(linear.repository.dir, { ref: 'HEAD', maxCount: 100 }))).toBe('commits');
  });
});

describe('refusals', () => {
  it('names a folder that is not a repository and an unknown ref', async () => {
    expect((await sleeptimeErrorOf(buildSweFeatures({ repository: '/nonexistent/folder' }))).code).toBe('repository_not_found');
    expect((await sleeptimeErrorOf(buildSweFeatures({ repository: merged.repository.dir, ref: 'no-such-branch' }))).code).toBe('commit_not_found');
  });
});

function order(commit: string): number {
  return Object.values(linear.commits).indexOf(commit);
}
