export {
  createEngine,
  defaultParallelSleepTemperature,
  defaultVerbosity,
  type AskOptions,
  type AskResult,
  type Engine,
  type EngineOptions,
  type PutContextInput,
  type SleepBranchResult,
  type SleepOptions,
  type SleepProgressEvent,
  type SleepResult,
} from './engine.js';
export { extractFinalAnswer, lastBoxedContent, normalizeNumber } from './final-answer.js';
export {
  buildAskPrompt,
  buildAskSystemPrompt,
  buildSleepTrigger,
  sleepSystemPrompt,
  concatenateLearnedContexts,
  verbosityInstructions,
  type AskPrompt,
  type AskPromptInput,
  type Verbosity,
} from './prompts.js';
export { usageFromLanguageModelUsage, withCallRecording, type RecordedModelCall } from './recording-model.js';
export {
  defaultMaxRewrites,
  runSleepAgent,
  type SleepAgentOptions,
  type SleepAgentResult,
  type SleepStopReason,
} from './sleep-agent.js';
