/**
 * `@sleeptime/core/testing`: test utilities that run for real, for sleeptime's own packages and for
 * applications built on it (as `ai/test` is for the AI SDK): mock language models with scripted
 * replies, a scripted OpenAI-compatible HTTP server on 127.0.0.1, throwaway SQLite and PostgreSQL
 * stores, small git repositories built commit by commit, helpers for asserting on errors and waiting
 * for background work, and the finder of a real GGUF test model (the real-model tier).
 */
export {
  delay,
  finish,
  markerProviderOptions,
  promptText,
  reportedUsage,
  rethink,
  scriptedLanguageModel,
  systemMessage,
  testModel,
  textReply,
  toolCallsReply,
  userMessageText,
  type MockToolCall,
  type ScriptStep,
  type TestModel,
  type TokenCounts,
} from './mock-models.js';
export {
  SCRIPTED_MODEL_ID,
  isPrefixWarmUp,
  startScriptedOpenAIServer,
  type ChatCompletionRequestBody,
  type ChatMessage,
  type RecordedRequest,
  type ScriptedOpenAIServer,
  type ScriptedOpenAIServerOptions,
  type ScriptedOpenAIServerScript,
  type ScriptedReply,
  type ScriptedToolCall,
  type ScriptedUsage,
} from './scripted-openai-server.js';
export {
  besideRepositoryModelsDir,
  describeWithRealModel,
  realTestModelPath,
  realTestModelSettings,
  realTestModelVariable,
  requireRealTestModelVariable,
  type RealTestModel,
  type RealTestModelSearch,
  type RealTestModelSettings,
  type SuiteFunctions,
} from './real-test-model.js';
export { sleeptimeErrorOf, sleeptimeErrorThrownBy } from './sleeptime-error-of.js';
export {
  createPostgresTestLocation,
  createSqliteTestLocation,
  postgresTestSettings,
  postgresTestUrlVariable,
  requirePostgresVariable,
  type PostgresTestSettings,
  type TestStoreLocation,
} from './test-databases.js';
export { createTestGitRepository, type TestGitRepository, type TestGitRepositoryOptions } from './test-git-repository.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
