/**
 * One change of a repository's history (a merged pull request, or a commit) as Markdown: a heading,
 * when and where, the description, the files with line counts. SWE-Features items render their
 * related earlier pull requests with it, and repository contexts their recent history.
 */

export interface RepositoryChangeFile {
  path: string;
  /** Lines added and removed; null for a binary file (or a source that does not say). */
  added: number | null;
  removed: number | null;
}

export interface RepositoryChange {
  /** The merge commit (or the commit) that brought it in; '' when unknown. */
  commit: string;
  pullRequest: number | null;
  title: string;
  body: string;
  /** ISO 8601; null when unknown. */
  date: string | null;
  /** The files listed (already bounded by the caller). */
  files: readonly RepositoryChangeFile[];
  /** Files it changed beyond those listed. */
  moreFiles: number;
}

export function renderChange(change: RepositoryChange): string {
  const commit = change.commit.slice(0, 10);
  const name = change.pullRequest !== null ? `Pull request #${change.pullRequest}` : commit !== '' ? `Commit ${commit}` : 'Change';
  const lines = [`## ${name}: ${change.title}`];
  const facts = [change.date === null ? undefined : `date ${change.date.slice(0, 10)}`, commit === '' ? undefined : `commit ${commit}`].filter((fact) => fact !== undefined);
  if (facts.length > 0) lines.push(`${facts.join(', ').replace(/^./, (letter) => letter.toUpperCase())}.`);
  if (change.body !== '') lines.push('', change.body);
  if (change.files.length > 0) {
    lines.push('', 'Files changed (lines added, removed):');
    // No counts: a binary file, or a released set that does not give them.
    for (const file of change.files) lines.push(file.added === null ? `- ${file.path}` : `- ${file.path} (+${file.added} -${file.removed ?? 0})`);
    if (change.moreFiles > 0) lines.push(`- and ${change.moreFiles} more file${change.moreFiles === 1 ? '' : 's'}`);
  }
  return lines.join('\n');
}

/** `text` cut to at most `characters`, with an ellipsis where it was cut. */
export function cutText(text: string, characters: number): string {
  if (text.length <= characters) return text;
  return `${text.slice(0, Math.max(0, characters - 1)).trimEnd()}…`;
}
