/**
 * A pull request's title, description and number from the message of the commit that brought it
 * in. Lives in `@sleeptime/core/repository` (repository contexts render the same history);
 * re-exported here for the dataset's modules.
 */
export { parseCommitMessage, parseMergeMessage, titleFromBranch, type PullRequestMessage } from '@sleeptime/core/repository';
