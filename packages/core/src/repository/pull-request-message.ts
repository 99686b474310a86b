/**
 * A pull request's title, description and number from the message of the commit that brought it
 * in. Merge commits carry a generated first line ("Merge pull request #12 from owner/branch",
 * "Merge branch 'x' into 'main'", "Merged in x (pull request #12)", "Merged PR 12: ..."); what the
 * author wrote follows it. That first line is turned into the number and the branch, the title is
 * the first line after it (or, when the author wrote nothing, the branch name in words: `owner/
 * feature/add-csv-export` is "Add csv export"), and the description is the rest. Squash merges
 * are single commits whose title ends with "(#12)". Trailers (Signed-off-by:, Co-authored-by:...)
 * are dropped from descriptions.
 *
 * Merges that only bring a branch up to date ("Merge branch 'main' of github.com:...", "Merge
 * remote-tracking branch 'origin/main'", "Merge tag ...") are marked `sync`: no pull request.
 */
export interface PullRequestMessage {
  title: string;
  body: string;
  pullRequest: number | null;
  /** The branch the change came from, when the message names it. */
  branch: string | null;
  /** A merge that only synchronizes branches. */
  sync: boolean;
  /** The title was made from the branch name: the author wrote none. */
  titleFromBranch: boolean;
}

const syncMerge = [
  /^Merge (remote-tracking )?branch '[^']+' of \S+/i,
  /^Merge (remote-tracking )?branch '(origin\/|upstream\/)?(main|master|develop|development|dev|trunk|stable)'( into \S+)?$/i,
  /^Merge remote-tracking branch /i,
  /^Merge tag /i,
  /^Merge commit '/i,
  /^Merge (the )?(main|master|develop) (branch )?into /i,
];

const trailer = /^(Signed-off-by|Co-authored-by|Co-Authored-By|Reviewed-by|Acked-by|Tested-by|Reported-by|Change-Id|Cc|Approved-by):/i;

/** The message of a merge commit on the first-parent line. */
export function parseMergeMessage(message: string): PullRequestMessage {
  const text = message.replace(/\r\n/g, '\n').trim();
  const firstLine = text.split('\n', 1)[0] ?? '';
  const rest = text.slice(firstLine.length);
  if (syncMerge.some((pattern) => pattern.test(firstLine))) return { title: firstLine, body: description(rest), pullRequest: null, branch: null, sync: true, titleFromBranch: false };

  let match = /^Merge pull request #(\d+) from (\S+)/i.exec(firstLine);
  if (match) return withAuthorText(rest, Number(match[1]), stripOwner(match[2] as string));
  match = /^Merged in (\S+) \(pull request #(\d+)\)/i.exec(firstLine);
  if (match) return withAuthorText(rest, Number(match[2]), match[1] as string);
  match = /^Merged PR (\d+):\s*(.*)$/i.exec(firstLine);
  if (match) return { title: (match[2] as string).trim() || `Pull request ${match[1]}`, body: description(rest), pullRequest: Number(match[1]), branch: null, sync: false, titleFromBranch: false };
  match = /^Merge (?:remote-tracking )?branch '([^']+)'(?: into .+)?$/i.exec(firstLine);
  if (match) {
    // GitLab ends the description with "See merge request group/project!12".
    const request = /^See merge request \S+!(\d+)\s*$/im.exec(rest);
    const body = request ? rest.replace(request[0], '') : rest;
    return withAuthorText(body, request ? Number(request[1]) : null, match[1] as string);
  }
  // A merge with a message of its own: read it as a commit's.
  return parseCommitMessage(text);
}

/** The message of a single commit (a squash merge, or a feature committed directly). */
export function parseCommitMessage(message: string): PullRequestMessage {
  const { title, body } = split(message.replace(/\r\n/g, '\n').trim());
  const squash = /\s*\(#(\d+)\)\s*$/.exec(title);
  return {
    title: squash ? title.slice(0, squash.index).trim() : title,
    body,
    pullRequest: squash ? Number(squash[1]) : null,
    branch: null,
    sync: false,
    titleFromBranch: false,
  };
}

/** "add-csv-export" (after any owner/ and feature/ prefixes) as words: "Add csv export". */
export function titleFromBranch(branch: string): string {
  const name = branch.replace(/^(feature|features|feat|topic|enhancement)[/_-]/i, '');
  const words = name.replace(/[/_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  return words === '' ? branch : `${words[0]?.toUpperCase() ?? ''}${words.slice(1)}`;
}

function withAuthorText(rest: string, pullRequest: number | null, branch: string): PullRequestMessage {
  const { title, body } = split(rest);
  if (title !== '') return { title, body, pullRequest, branch, sync: false, titleFromBranch: false };
  return { title: titleFromBranch(branch), body: '', pullRequest, branch, sync: false, titleFromBranch: true };
}

/** GitHub's "from owner/branch": the branch is everything after the owner. */
function stripOwner(source: string): string {
  const slash = source.indexOf('/');
  return slash === -1 ? source : source.slice(slash + 1);
}

/** The first non-empty line is the title; the rest, without trailers, the body. */
function split(text: string): { title: string; body: string } {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first === -1) return { title: '', body: '' };
  return { title: (lines[first] as string).trim(), body: description(lines.slice(first + 1).join('\n')) };
}

/** A description without trailers and runs of blank lines. */
function description(text: string): string {
  return text
    .split('\n')
    .filter((line) => !trailer.test(line.trim()))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
