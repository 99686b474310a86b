/** Pull request titles, descriptions and numbers from the merge messages of GitHub, GitLab, Bitbucket, Azure DevOps and git itself. */
import { describe, expect, it } from 'vitest';
import { parseCommitMessage, parseMergeMessage, titleFromBranch } from './pull-request-message.js';

describe('parseMergeMessage', () => {
  it("reads GitHub's merge message: number, branch, the author's title and description", () => {
    expect(parseMergeMessage('Merge pull request #42 from alice/feature/csv-export\n\nAdd CSV export\n\nUsers can export.\nSigned-off-by: A <a@example.com>\n')).toEqual({
      title: 'Add CSV export',
      body: 'Users can export.',
      pullRequest: 42,
      branch: 'feature/csv-export',
      sync: false,
      titleFromBranch: false,
    });
  });

  it('makes a title from the branch when the author wrote none', () => {
    expect(parseMergeMessage('Merge pull request #7 from bob/feat/add-dark-mode')).toMatchObject({ title: 'Add dark mode', body: '', pullRequest: 7, titleFromBranch: true });
    expect(parseMergeMessage("Merge branch 'support_plugins'")).toMatchObject({ title: 'Support plugins', pullRequest: null, branch: 'support_plugins', titleFromBranch: true });
  });

  it("reads GitLab's, Bitbucket's and Azure DevOps' merge messages", () => {
    expect(parseMergeMessage("Merge branch 'add-search' into 'main'\n\nAdd full-text search\n\nIndexes titles.\n\nSee merge request acme/app!315")).toMatchObject({
      title: 'Add full-text search',
      body: 'Indexes titles.',
      pullRequest: 315,
      branch: 'add-search',
    });
    expect(parseMergeMessage('Merged in feature/export (pull request #9)\n\nExport to PDF\n\nApproved-by: C')).toMatchObject({ title: 'Export to PDF', body: '', pullRequest: 9, branch: 'feature/export' });
    expect(parseMergeMessage('Merged PR 88: Add billing page\n\nA page for invoices.')).toMatchObject({ title: 'Add billing page', body: 'A page for invoices.', pullRequest: 88 });
  });

  it('marks merges that only synchronize branches', () => {
    for (const message of [
      "Merge branch 'main' of github.com:acme/app",
      "Merge branch 'master' of https://github.com/acme/app into feature",
      "Merge remote-tracking branch 'origin/main'",
      "Merge branch 'develop'",
      "Merge tag 'v1.2.0'",
      "Merge commit 'abc123'",
    ]) {
      expect(parseMergeMessage(message).sync).toBe(true);
    }
    expect(parseMergeMessage("Merge branch 'feature/main-menu'").sync).toBe(false);
  });

  it('reads a merge with a message of its own as a commit', () => {
    expect(parseMergeMessage('Add plugin loader (#31)\n\nLoads plugins from a folder.')).toMatchObject({ title: 'Add plugin loader', body: 'Loads plugins from a folder.', pullRequest: 31, sync: false });
  });
});

describe('parseCommitMessage', () => {
  it('takes the first line as the title, a trailing (#N) as the pull request, and drops trailers', () => {
    expect(parseCommitMessage('Add login (#12)\n\nPOST /login.\n\nCo-authored-by: D <d@example.com>')).toEqual({ title: 'Add login', body: 'POST /login.', pullRequest: 12, branch: null, sync: false, titleFromBranch: false });
    expect(parseCommitMessage('feat(api): sessions\r\n\r\nKeeps users logged in.')).toMatchObject({ title: 'feat(api): sessions', body: 'Keeps users logged in.', pullRequest: null });
    expect(parseCommitMessage('')).toMatchObject({ title: '', body: '' });
  });
});

describe('titleFromBranch', () => {
  it('turns a branch name into words', () => {
    expect(titleFromBranch('feature/add-csv-export')).toBe('Add csv export');
    expect(titleFromBranch('json_export')).toBe('Json export');
    expect(titleFromBranch('ui/new-toolbar')).toBe('Ui new toolbar');
  });
});
