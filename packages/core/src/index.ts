/**
 * `@sleeptime/core`: sleep-time compute for LLM applications. The engine (`createEngine`: contexts,
 * sleep, ask, runs) over a store (SQLite or PostgreSQL) and a model (`createModel`: OpenAI,
 * Anthropic, any OpenAI-compatible server; `llama:` models through `@sleeptime/llama`), with the one
 * error type every failure is reported as.
 */
export { SleeptimeError, errorMessage, systemError, upstreamError, userError, type ErrorCategory, type SleeptimeErrorOptions } from './errors.js';
export * from './engine/index.js';
export * from './models/index.js';
export * from './store/index.js';
export { writeFileAtomically } from './files/write-file-atomically.js';
export { withoutUndefined } from './without-undefined.js';
