/**
 * What `createModel` loads when it makes a model: the retry wrapper (and, through it, the AI SDK).
 * A module of its own, apart from the index's re-exports of retry.ts, so that a bundler leaves both
 * out of a program that never makes a model.
 */
export { withRetries } from './retry.js';
