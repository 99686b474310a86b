/**
 * Which pull requests (merge commits) or commits are features, the rule documented in the README:
 *
 * 1. not a merge that only synchronizes branches;
 * 2. it changed at least one file and at most `maxChangedFiles` (default 30: larger changes are
 *    rewrites, vendored code or mass renames, not a feature an agent can be scored on);
 * 3. at least one changed file is source code that is not a test (path-kinds.ts);
 * 4. its title does not say it is something else: a fix, a revert, a release or version bump,
 *    documentation, chores, CI, style, tests or a refactoring (conventional-commit prefixes such as
 *    `fix:`, `docs(x):` and leading words such as "Fix", "Revert", "Bump", "Refactor");
 * 5. and its title says it is a feature (`feat:`, `feature(x):`, or a leading "Add", "Implement",
 *    "Support", "Introduce", "Allow", "Enable", "Create", "Expose", "Provide", "New"), or it
 *    changed at least `minSourceFiles` (default 2) non-test source files.
 */
import { isSourcePath } from './path-kinds.js';

export interface FeatureRules {
  /** Default 30. */
  maxChangedFiles: number;
  /** Non-test source files a change whose title does not say "feature" must touch (default 2). */
  minSourceFiles: number;
}

export const defaultFeatureRules: Readonly<FeatureRules> = Object.freeze({ maxChangedFiles: 30, minSourceFiles: 2 });

export type FeatureSkipReason = 'sync-merge' | 'no-files' | 'too-many-files' | 'no-source-files' | 'not-a-feature';

export type FeatureVerdict = { feature: true } | { feature: false; reason: FeatureSkipReason };

const conventionalOther = /^(fix|fixes|bugfix|hotfix|revert|chore|docs?|ci|build|style|tests?|refactor|perf|release|bump|deps?|i18n|wip)(\([^)]*\))?!?:/i;
const otherWords =
  /^(\[?(fix|fixes|fixed|fixing|bug ?fix|hotfix|revert|reverts|reverted|reverting|bump|bumps|bumped|release|releases|released|prepare release|refactor|refactors|refactored|refactoring|rename|renames|cleanup|clean up|lint|format|formatting|typo|typos|docs?|documentation|changelog|readme|test|tests|ci|wip|merge)\]?\b)|^v?\d+\.\d+(\.\d+)?\b|^update (the )?(changelog|readme|docs|documentation|dependencies|deps|version|lock ?file)\b/i;
const conventionalFeature = /^(feat|feature|features)(\([^)]*\))?!?:/i;
const featureWords = /^\[?(add|adds|added|adding|implement|implements|implemented|implementing|support|supports|supported|introduce|introduces|introduced|allow|allows|enable|enables|create|creates|expose|exposes|provide|provides|new)\]?\b/i;

/** Whether a change with this title and these changed files is taken as a feature, and if not why. */
export function featureVerdict(change: { title: string; files: readonly string[]; sync: boolean }, rules: FeatureRules = defaultFeatureRules): FeatureVerdict {
  if (change.sync) return { feature: false, reason: 'sync-merge' };
  if (change.files.length === 0) return { feature: false, reason: 'no-files' };
  if (change.files.length > rules.maxChangedFiles) return { feature: false, reason: 'too-many-files' };
  const sourceFiles = change.files.filter(isSourcePath).length;
  if (sourceFiles === 0) return { feature: false, reason: 'no-source-files' };
  const title = change.title.trim();
  if (conventionalFeature.test(title)) return { feature: true };
  if (conventionalOther.test(title) || otherWords.test(title)) return { feature: false, reason: 'not-a-feature' };
  if (featureWords.test(title) || sourceFiles >= rules.minSourceFiles) return { feature: true };
  return { feature: false, reason: 'not-a-feature' };
}
