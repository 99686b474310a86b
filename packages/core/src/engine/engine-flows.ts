/**
 * The flows that call a model, which `createEngine` loads on first use. Loaded through this module
 * rather than each file: a bundler then leaves them (and the AI SDK) out of a program that only
 * reads and writes contexts, even though the package's index re-exports some of their helpers.
 */
export { prepareAsk } from './ask.js';
export { prepareChat } from './chat.js';
export { runSleep } from './sleep-run.js';
export { mapStream } from './test-time-call.js';
