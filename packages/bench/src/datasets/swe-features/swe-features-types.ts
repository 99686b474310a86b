/**
 * The SWE-Features item, one JSON object a line in the files `sleeptime data swe-features` writes:
 * a feature to implement in a repository at its base commit, the earlier pull requests the
 * sleep-time agent gets as its context, and the files the real change touched (the gold set the
 * F1 of the edited files is scored against). One zod schema; the types are inferred from it.
 */
import { z } from 'zod';

export const sweFeaturesFileStatSchema = z.object({
  /** Relative to the repository root (the new path of a rename). */
  path: z.string().min(1),
  /** Lines added and removed; null for a binary file. */
  added: z.number().int().nonnegative().nullable(),
  removed: z.number().int().nonnegative().nullable(),
});

export const sweFeaturesContextPullRequestSchema = z.object({
  /** The merge commit (or the commit) that brought it in. */
  commit: z.string(),
  pullRequest: z.number().int().positive().nullable(),
  title: z.string(),
  /** Its description, cut to a bound (see the README). */
  body: z.string(),
  /** Committer date, ISO 8601; null when the source does not say. */
  date: z.string().nullable(),
  /** The files it changed, at most a bound, with line counts. */
  files: z.array(sweFeaturesFileStatSchema),
  /** Files it changed beyond those listed. */
  moreFiles: z.number().int().nonnegative(),
});

export const sweFeaturesItemSchema = z.object({
  /** `<repository name>-pr-<number>`, else `<repository name>-<10 hex digits of the commit>`. */
  id: z.string().min(1),
  /** Built from a local repository's history, or loaded from a released set (the paper's). */
  source: z.enum(['repository', 'released']),
  /** Where the repository is: a local folder (a released set names `owner/name` unless told where the clones are). */
  repository: z.string().min(1),
  repositoryName: z.string().min(1),
  /** The commit the agents start from: the merge's first parent, or the feature commit's parent. */
  baseCommit: z.string().min(1),
  /** The merge commit or the feature commit itself (the reference solution); null when a released set has none. */
  featureCommit: z.string().nullable(),
  /** How the feature was found: a merge commit on the first-parent line, a single commit, or a released set's row. */
  kind: z.enum(['merge', 'commit', 'released']),
  pullRequest: z.number().int().positive().nullable(),
  date: z.string().nullable(),
  title: z.string(),
  /** What the coding agent is asked to implement: the title and the description. */
  task: z.string().min(1),
  /** The earlier pull requests as one text, what the sleep-time agent is given. */
  context: z.string(),
  contextPullRequests: z.array(sweFeaturesContextPullRequestSchema),
  /** Every file the change touched, sorted (a rename once, under its new path). */
  goldFiles: z.array(z.string().min(1)).min(1),
  /** Those of `goldFiles` that are test files (for a score that leaves tests out on both sides). */
  testFiles: z.array(z.string()),
});

export type SweFeaturesFileStat = z.infer<typeof sweFeaturesFileStatSchema>;
export type SweFeaturesContextPullRequest = z.infer<typeof sweFeaturesContextPullRequestSchema>;
export type SweFeaturesItem = z.infer<typeof sweFeaturesItemSchema>;
