/**
 * The paper's released SWE-Features set (33 feature pull requests of two repositories, on the
 * Hugging Face Hub as letta-ai/SWE-Features), loaded from a file the user downloaded: JSON Lines or
 * a JSON array. Parquet is not read; the error says how to convert it.
 *
 * The set's column names are not documented in the paper's released code, so each field is looked
 * for under the names such sets use (SWE-bench's `repo`, `base_commit`, `problem_statement`,
 * `patch`, `instance_id`; and `modified_files`, `related_prs`, `title`, `body`...): the first
 * present wins. A row without a repository, a base commit, a task or changed files (a list, or
 * the paths of a `patch`) is refused, naming the fields looked for and the row's own.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { userError } from '@sleeptime/core';
import { parseJsonlText } from '../jsonl.js';
import { defaultContextBounds, renderContext } from './context-text.js';
import { isTestPath } from './path-kinds.js';
import { sweFeaturesItemSchema, type SweFeaturesContextPullRequest, type SweFeaturesItem } from './swe-features-types.js';

export interface LoadReleasedSweFeaturesOptions {
  /**
   * A folder holding clones of the set's repositories, each under its name (`ComfyUI`, `aider`):
   * an item's `repository` becomes `<clonesDir>/<name>`. Without it, `repository` is the set's
   * `owner/name`, and a run must be told where the clones are.
   */
  clonesDir?: string;
}

const fieldNames = {
  id: ['instance_id', 'id', 'task_id', 'pr_id'],
  repository: ['repo', 'repository', 'repo_name', 'repo_full_name', 'full_name'],
  baseCommit: ['base_commit', 'baseCommit', 'base_sha', 'base', 'parent_commit', 'before_commit'],
  featureCommit: ['merge_commit_sha', 'merge_commit', 'featureCommit', 'head_commit', 'commit', 'after_commit'],
  pullRequest: ['pr_number', 'pull_number', 'number', 'pullRequest', 'pr'],
  title: ['title', 'pr_title'],
  body: ['body', 'pr_body', 'description', 'pr_description'],
  task: ['problem_statement', 'task', 'instruction', 'feature_description', 'query', 'question'],
  goldFiles: ['modified_files', 'gold_files', 'goldFiles', 'changed_files', 'edited_files', 'files_changed', 'files'],
  patch: ['patch', 'gold_patch', 'diff'],
  context: ['context', 'related_prs_text'],
  contextPullRequests: ['related_prs', 'related_pull_requests', 'context_prs', 'contextPullRequests', 'related'],
  date: ['created_at', 'merged_at', 'date'],
} as const;

/** The items of a released set's file, validated. */
export async function loadReleasedSweFeatures(file: string, options: LoadReleasedSweFeaturesOptions = {}): Promise<SweFeaturesItem[]> {
  if (/\.parquet$/i.test(file)) {
    throw userError(
      'dataset_format_unsupported',
      `${file} is Parquet, which sleeptime does not read. Convert it to JSON Lines first, e.g. python -c "import pandas as p; p.read_parquet('${file}').to_json('swe-features.jsonl', orient='records', lines=True)".`,
      { path: file },
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw userError('file_not_found', `No such file: ${file}`, { path: file });
    throw error;
  }
  const rows = parseRows(text, file);
  if (rows.length === 0) throw userError('dataset_malformed', `${file} holds no rows.`, { path: file });
  const ids = new Set<string>();
  return rows.map((row, index) => {
    const item = releasedItem(row, index, file, options);
    if (ids.has(item.id)) item.id = `${item.id}-${index + 1}`;
    ids.add(item.id);
    return item;
  });
}

function parseRows(text: string, file: string): Record<string, unknown>[] {
  const trimmed = text.trimStart();
  let values: unknown[];
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && !trimmed.includes('\n{'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw userError('dataset_malformed', `${file}: not valid JSON (${(error as Error).message}).`, { path: file });
    }
    const container = parsed as { data?: unknown; rows?: unknown };
    values = Array.isArray(parsed) ? parsed : Array.isArray(container.data) ? container.data : Array.isArray(container.rows) ? container.rows : [parsed];
  } else {
    values = parseJsonlText(text, undefined, (line, problem) => userError('dataset_malformed', `${file}, line ${line}: ${problem.message}.`, { path: file, line }));
  }
  return values.map((value, index) => {
    // The Hub's datasets-server wraps each row: {"row_idx": 0, "row": {...}}.
    const row = (typeof value === 'object' && value !== null && 'row' in value ? (value as { row: unknown }).row : value) as unknown;
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw userError('dataset_malformed', `${file}, row ${index + 1}: not a JSON object.`, { path: file, row: index + 1 });
    return row as Record<string, unknown>;
  });
}

function releasedItem(row: Record<string, unknown>, index: number, file: string, options: LoadReleasedSweFeaturesOptions): SweFeaturesItem {
  const missing = (what: keyof typeof fieldNames, extra = '') =>
    userError(
      'dataset_malformed',
      `${file}, row ${index + 1}: no ${what} (looked for ${fieldNames[what].join(', ')}${extra}); the row has ${Object.keys(row).join(', ') || 'no fields'}.`,
      { path: file, row: index + 1 },
    );
  const repositoryFullName = text(row, 'repository');
  if (repositoryFullName === undefined) throw missing('repository');
  const baseCommit = text(row, 'baseCommit');
  if (baseCommit === undefined) throw missing('baseCommit');
  const goldFiles = filesOf(first(row, 'goldFiles')) ?? patchFiles(text(row, 'patch'));
  if (goldFiles === undefined || goldFiles.length === 0) throw missing('goldFiles', `, or the paths in ${fieldNames.patch.join(', ')}`);
  const title = text(row, 'title') ?? '';
  const body = text(row, 'body') ?? '';
  const task = text(row, 'task') ?? [title, body].filter((part) => part !== '').join('\n\n');
  if (task === '') throw missing('task', `, or ${fieldNames.title.join(', ')} and ${fieldNames.body.join(', ')}`);

  const repositoryName = repositoryFullName.replace(/\.git$/, '').split('/').filter((part) => part !== '').at(-1) ?? repositoryFullName;
  const pullRequest = positiveInteger(first(row, 'pullRequest'));
  const contextPullRequests = contextPullRequestsOf(first(row, 'contextPullRequests'));
  const givenContext = text(row, 'context');
  const rendered = renderContext(repositoryName, contextPullRequests, defaultContextBounds);
  const sortedGold = [...new Set(goldFiles.map((filePath) => filePath.replace(/^\.\//, '')))].sort();
  const item: SweFeaturesItem = {
    id: text(row, 'id') ?? (pullRequest === null ? `${repositoryName}-${index + 1}` : `${repositoryName}-pr-${pullRequest}`),
    source: 'released',
    repository: options.clonesDir === undefined ? repositoryFullName : path.join(options.clonesDir, repositoryName),
    repositoryName,
    baseCommit,
    featureCommit: text(row, 'featureCommit') ?? null,
    kind: 'released',
    pullRequest,
    date: text(row, 'date') ?? null,
    title: title === '' ? (task.split('\n', 1)[0] ?? '') : title,
    task,
    // The set's own context text when it has one; else the related pull requests it lists, rendered.
    context: givenContext ?? rendered.text,
    contextPullRequests: givenContext === undefined ? rendered.kept : contextPullRequests,
    goldFiles: sortedGold,
    testFiles: sortedGold.filter(isTestPath),
  };
  const parsed = sweFeaturesItemSchema.safeParse(item);
  if (!parsed.success) throw userError('dataset_malformed', `${file}, row ${index + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'} at ${parsed.error.issues[0]?.path.join('.') ?? '?'}.`, { path: file, row: index + 1 });
  return parsed.data;
}

function first(row: Record<string, unknown>, field: keyof typeof fieldNames): unknown {
  for (const name of fieldNames[field]) if (row[name] !== undefined && row[name] !== null) return row[name];
  return undefined;
}

function text(row: Record<string, unknown>, field: keyof typeof fieldNames): string | undefined {
  const value = first(row, field);
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function positiveInteger(value: unknown): number | null {
  const number = typeof value === 'string' ? Number(value.replace(/^#/, '')) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number > 0 ? number : null;
}

/** A list of paths, of `{filename}` / `{path}` objects, or a JSON text of either (some exports stringify lists). */
function filesOf(value: unknown): string[] | undefined {
  let list = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      list = value
        .split(/[\n,]/)
        .map((part) => part.trim())
        .filter((part) => part !== '');
    }
  }
  if (!Array.isArray(list)) return undefined;
  const paths = list.map((entry) => (typeof entry === 'string' ? entry : typeof entry === 'object' && entry !== null ? ((entry as { filename?: unknown; path?: unknown }).filename ?? (entry as { path?: unknown }).path) : undefined));
  return paths.filter((entry): entry is string => typeof entry === 'string' && entry !== '');
}

/** The files a unified diff touches: the `b/` side of each `diff --git` header (the `a/` side for a deletion). */
export function patchFiles(patch: string | undefined): string[] | undefined {
  if (patch === undefined) return undefined;
  const files: string[] = [];
  const lines = patch.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const header = /^diff --git a\/(.+) b\/(.+)$/.exec(lines[index] as string);
    if (!header) continue;
    let file = header[2] as string;
    for (let next = index + 1; next < lines.length && !(lines[next] as string).startsWith('diff --git '); next += 1) {
      if (lines[next] === '+++ /dev/null') file = header[1] as string;
    }
    files.push(file);
  }
  return files;
}

function contextPullRequestsOf(value: unknown): SweFeaturesContextPullRequest[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): SweFeaturesContextPullRequest[] => {
    if (typeof entry === 'string') return entry.trim() === '' ? [] : [{ commit: '', pullRequest: null, title: entry.trim().split('\n', 1)[0] ?? '', body: entry.trim().split('\n').slice(1).join('\n').trim(), date: null, files: [], moreFiles: 0 }];
    if (typeof entry !== 'object' || entry === null) return [];
    const record = entry as Record<string, unknown>;
    const files = filesOf(record.files ?? record.modified_files ?? record.changed_files) ?? [];
    const pick = (...names: string[]) => names.map((name) => record[name]).find((candidate) => typeof candidate === 'string') as string | undefined;
    return [
      {
        commit: pick('merge_commit_sha', 'commit', 'sha') ?? '',
        pullRequest: positiveInteger(record.number ?? record.pr_number ?? record.pull_number),
        title: pick('title', 'pr_title') ?? '',
        body: (pick('body', 'description', 'pr_body') ?? '').slice(0, defaultContextBounds.bodyCharacters),
        date: pick('merged_at', 'created_at', 'date') ?? null,
        files: files.slice(0, defaultContextBounds.filesListed).map((filePath) => ({ path: filePath, added: null, removed: null })),
        moreFiles: Math.max(0, files.length - defaultContextBounds.filesListed),
      },
    ];
  });
}
