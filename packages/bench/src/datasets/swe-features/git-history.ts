/**
 * What `sleeptime data swe-features` reads from a repository: the first-parent history, the files
 * each commit changed, the subjects a merge brought in. They live in `@sleeptime/core/repository`
 * (repository contexts render the same history); re-exported here for the dataset's modules.
 */
export {
  readChangedFiles,
  readFirstParentHistory,
  readMergedCommitSubjects,
  repositoryTopLevel,
  type ChangedFile,
  type HistoryCommit,
} from '@sleeptime/core/repository';
