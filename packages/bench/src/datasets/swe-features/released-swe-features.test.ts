/** Loading a released SWE-Features file the user downloaded: JSON Lines or JSON, field names as such sets spell them. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';
import { patchFiles, loadReleasedSweFeatures } from './released-swe-features.js';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-released-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const patch = [
  'diff --git a/aider/commands.py b/aider/commands.py',
  'index 1..2 100644',
  '--- a/aider/commands.py',
  '+++ b/aider/commands.py',
  '@@ -1 +1 @@',
  '-a',
  '+b',
  'diff --git a/aider/old.py b/aider/old.py',
  'deleted file mode 100644',
  '--- a/aider/old.py',
  '+++ /dev/null',
  'diff --git a/aider/io.py b/aider/io_utils.py',
  'similarity index 90%',
  'rename from aider/io.py',
  'rename to aider/io_utils.py',
].join('\n');

describe('loadReleasedSweFeatures', () => {
  it('maps SWE-bench-like rows: repo, base_commit, problem_statement, the files of the patch', async () => {
    const file = path.join(folder, 'swe-bench-like.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({ instance_id: 'aider-1', repo: 'Aider-AI/aider', base_commit: 'abc123', problem_statement: 'Add a /voice command.', patch, pr_number: 77, created_at: '2024-05-01T00:00:00Z' })}\n`,
    );
    const [item] = await loadReleasedSweFeatures(file, { clonesDir: '/clones' });
    expect(item).toEqual({
      id: 'aider-1',
      source: 'released',
      repository: path.join('/clones', 'aider'),
      repositoryName: 'aider',
      baseCommit: 'abc123',
      featureCommit: null,
      kind: 'released',
      pullRequest: 77,
      date: '2024-05-01T00:00:00Z',
      title: 'Add a /voice command.',
      task: 'Add a /voice command.',
      context: '',
      contextPullRequests: [],
      goldFiles: ['aider/commands.py', 'aider/io_utils.py', 'aider/old.py'],
      testFiles: [],
    });
  });

  it('maps rows with a title, body, modified_files and related pull requests, in a JSON array', async () => {
    const file = path.join(folder, 'features.json');
    await writeFile(
      file,
      JSON.stringify([
        {
          repo: 'comfyanonymous/ComfyUI',
          base_commit: 'def456',
          title: 'Add a node for masks',
          body: 'Masks can be painted.',
          modified_files: JSON.stringify(['nodes.py', 'comfy/mask.py', 'tests/test_mask.py']),
          related_prs: [{ number: 10, title: 'Image nodes', body: 'Adds image nodes.', files: [{ filename: 'nodes.py' }], merged_at: '2024-01-01T00:00:00Z' }, 'Refactor the graph\nThe executor now runs in order.'],
        },
      ]),
    );
    const [item] = await loadReleasedSweFeatures(file);
    expect(item).toMatchObject({ id: 'ComfyUI-1', repository: 'comfyanonymous/ComfyUI', title: 'Add a node for masks', task: 'Add a node for masks\n\nMasks can be painted.', goldFiles: ['comfy/mask.py', 'nodes.py', 'tests/test_mask.py'], testFiles: ['tests/test_mask.py'] });
    expect(item?.context).toContain('## Pull request #10: Image nodes\nDate 2024-01-01.\n\nAdds image nodes.\n\nFiles changed (lines added, removed):\n- nodes.py');
    expect(item?.context).toContain('## Change: Refactor the graph\n\nThe executor now runs in order.');
  });

  it('refuses a row it cannot use, naming the fields it looked for, and Parquet with how to convert it', async () => {
    const file = path.join(folder, 'bad.jsonl');
    await writeFile(file, `${JSON.stringify({ repo: 'a/b', problem_statement: 'x', patch })}\n`);
    const error = await sleeptimeErrorOf(loadReleasedSweFeatures(file));
    expect(error.code).toBe('dataset_malformed');
    expect(error.message).toBe(`${file}, row 1: no baseCommit (looked for base_commit, baseCommit, base_sha, base, parent_commit, before_commit); the row has repo, problem_statement, patch.`);
    expect((await sleeptimeErrorOf(loadReleasedSweFeatures(path.join(folder, 'x.parquet')))).code).toBe('dataset_format_unsupported');
    expect((await sleeptimeErrorOf(loadReleasedSweFeatures(path.join(folder, 'missing.jsonl')))).code).toBe('file_not_found');
  });
});

describe('patchFiles', () => {
  it('takes the new side of each file, the old side of a deletion', () => {
    expect(patchFiles(patch)).toEqual(['aider/commands.py', 'aider/old.py', 'aider/io_utils.py']);
  });
});
