/**
 * SWE-Features: feature pull requests of any git repository as items (base commit, task, related
 * earlier pull requests as the context, gold changed files), the loader of the paper's released
 * set, and the F1 of edited files against gold files. See README.md for the rules.
 */
export { buildSweFeatures, chooseMode, defaultContextPullRequests, defaultHistoryScan, defaultSweFeaturesLimit, type BuildSweFeaturesOptions, type SweFeaturesBuild, type SweFeaturesMode } from './build-swe-features.js';
export { contextPullRequestOf, defaultContextBounds, renderContext, type ContextBounds } from './context-text.js';
export { defaultFeatureRules, featureVerdict, type FeatureRules, type FeatureSkipReason, type FeatureVerdict } from './feature-rules.js';
export { fileSetF1, normalizeFilePath, type FileSetF1Options, type FileSetScore } from './file-set-f1.js';
export { readChangedFiles, readFirstParentHistory, type ChangedFile, type HistoryCommit } from './git-history.js';
export { isSourcePath, isTestPath } from './path-kinds.js';
export { parseCommitMessage, parseMergeMessage, titleFromBranch, type PullRequestMessage } from './pull-request-message.js';
export { selectRelatedChanges, type HistoryChange } from './related-pull-requests.js';
export { loadReleasedSweFeatures, patchFiles, type LoadReleasedSweFeaturesOptions } from './released-swe-features.js';
export {
  sweFeaturesContextPullRequestSchema,
  sweFeaturesFileStatSchema,
  sweFeaturesItemSchema,
  type SweFeaturesContextPullRequest,
  type SweFeaturesFileStat,
  type SweFeaturesItem,
} from './swe-features-types.js';
