/**
 * `@sleeptime/core/repository`: repositories for agents. A throwaway checkout of one commit
 * (`createWorktree`, which leaves the user's repository untouched and cleans up after itself, even
 * after a crash), the sandboxed tools agents use on it as AI SDK tools (read-only for the
 * sleep-time agent, read-write for the test-time coding agent), the set of files an agent edited
 * (from git's diff against the base commit), the git runner under all of it; the first-parent
 * history with pull requests read from merge messages, and a repository rendered as a context's
 * text (`renderRepositoryContext`, what `sleeptime context put --repo` stores).
 */
export { runGit, type GitOptions, type GitResult } from './git.js';
export { createWorktree, resolveCommit, sweepAbandonedWorktrees, worktreeFolderPrefix, type CreateWorktreeOptions, type RepositoryWorktree } from './worktree.js';
export { SandboxPathError, checkedRelativePath, isInside, resolveSandboxPath, type SandboxAccess, type SandboxPath } from './sandbox-path.js';
export { RepositoryToolError, defaultRepositoryToolLimits, repositoryToolLimits, type RepositoryToolLimits } from './tool-limits.js';
export { listFiles, type ListFilesInput } from './list-files.js';
export { isBinary, readRepositoryFile, type ReadFileInput } from './read-file.js';
export { searchRepository, type SearchInput } from './search-files.js';
export { editRepositoryFile, type EditFileInput } from './edit-file.js';
export { writeRepositoryFile, type WriteFileInput } from './write-file.js';
export { deleteRepositoryFile, type DeleteFileInput } from './delete-file.js';
export {
  readOnlyRepositoryTools,
  readWriteRepositoryTools,
  repositoryToolNames,
  type ReadOnlyRepositoryTools,
  type ReadWriteRepositoryTools,
  type RepositoryToolCall,
  type RepositoryToolName,
  type RepositoryToolsOptions,
} from './repository-tools.js';
export { editedFiles, parseNameStatus, type EditedFiles, type FileChange, type FileChangeStatus } from './edited-files.js';
export { readChangedFiles, readFirstParentHistory, readMergedCommitSubjects, repositoryTopLevel, type ChangedFile, type HistoryCommit } from './git-history.js';
export { parseCommitMessage, parseMergeMessage, titleFromBranch, type PullRequestMessage } from './pull-request-message.js';
export { cutText, renderChange, type RepositoryChange, type RepositoryChangeFile } from './change-text.js';
export {
  defaultRepositoryContextBounds,
  renderRepositoryContext,
  summarizeTree,
  type RepositoryContextBounds,
  type RepositoryContextOptions,
  type RepositoryContextRendering,
} from './repository-context.js';
