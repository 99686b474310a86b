/**
 * `@sleeptime/core/internal`: building blocks under the engine, for sleeptime's own packages (the
 * benchmark suite runs the sleep-time agent and records calls without the store). Not a stable API.
 * Kept apart from the package's index so that the index loads the AI SDK only when a model is used.
 */
export { extraStepsAllowed, runSleepAgent, type SleepAgentOptions, type SleepAgentResult, type SleepStopReason } from './engine/sleep-agent.js';
export { defaultMaxExplorationSteps } from './engine/engine-defaults.js';
export { usageFromLanguageModelUsage, withCallRecording, type RecordedModelCall } from './engine/recording-model.js';
export { retryMiddleware, withRetries } from './models/retry.js';
