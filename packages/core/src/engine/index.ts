/** The engine: contexts, sleep, ask and chat, learned contexts and runs. */
export { createEngine } from './engine.js';
export type {
  AppendContextInput,
  AskOptions,
  AskResult,
  AskStream,
  ChatMessage,
  ChatMessageToolCall,
  ChatRequest,
  ChatResult,
  ChatStream,
  ChatTool,
  ChatToolCall,
  ChatToolChoice,
  Engine,
  EngineOptions,
  LearnedContextVersion,
  LearnedDiff,
  LearnedDiffHunk,
  LearnedHistory,
  PutContextInput,
  SleepBranchResult,
  SleepOptions,
  SleepProgressEvent,
  SleepResult,
  TestTimeOutcome,
  TestTimeStream,
  TestTimeStreamEvent,
} from './engine-types.js';
export {
  defaultAskMaxOutputTokens,
  defaultChatMaxOutputTokens,
  defaultMaxRewrites,
  defaultOutputLimit,
  defaultParallelSleepTemperature,
  defaultSleepCallMaxOutputTokens,
  defaultThinkingAllowance,
  defaultVerbosity,
} from './engine-defaults.js';
export { truncationLimit } from './truncation-limit.js';
export {
  appendContentSchema,
  askBudgetSchema,
  contextContentSchema,
  contextIdPattern,
  effortSchema,
  learnedDiffOptionsSchema,
  listContextsOptionsSchema,
  runsOptionsSchema,
  sleepBudgetSchema,
  temperatureSchema,
  type AppendContent,
  type AskBudget,
  type ContextContent,
  type LearnedDiffOptions,
  type RunsOptions,
  type SleepBudget,
} from './option-schemas.js';
export { extractFinalAnswer, lastBoxedContent, normalizeNumber } from './final-answer.js';
export {
  buildAskPrompt,
  buildAskSystemPrompt,
  buildSleepTrigger,
  concatenateLearnedContexts,
  learnedContextSystemMessage,
  sleepSystemPrompt,
  verbosityInstructions,
  type AskPrompt,
  type AskPromptInput,
  type Verbosity,
} from './prompts.js';
export type { RecordedModelCall } from './recording-model.js';
export type { SleepAgentOptions, SleepAgentResult, SleepProtocolChoice, SleepStopReason } from './sleep-agent.js';
