/**
 * Multi-Query GSM-Symbolic: several verified questions per GSM-Symbolic context (SPEC section 3).
 * See README.md in this folder.
 */
export {
  DEFAULT_MAX_ATTEMPTS_PER_CONTEXT,
  DEFAULT_MULTI_QUERY_CONCURRENCY,
  DEFAULT_MULTI_QUERY_TEMPERATURE,
  DEFAULT_QUESTIONS_PER_CONTEXT,
  generateMultiQuery,
  salvageQuestions,
  type QuestionsReply,
  type GenerateMultiQueryOptions,
  type MultiQueryProgress,
  type MultiQueryResult,
} from './generate-multi-query.js';
export {
  generatedQuestionSchema,
  generatedQuestionsSchema,
  multiQueryPrompt,
  type GeneratedQuestions,
  type MultiQueryPrompt,
  type MultiQueryPromptInput,
} from './multi-query-prompt.js';
export {
  MultiQueryCacheWriter,
  readMultiQueryCache,
  type MultiQueryCacheContents,
} from './multi-query-cache.js';
export {
  allowedExpressionFunctions,
  normalizeQuestionText,
  unstatedVariables,
  verifyQuestion,
  type CandidateQuestion,
  type VerificationInstance,
  type VerificationResult,
} from './verify-question.js';
export {
  multiQueryCacheRecordSchema,
  multiQueryRejectionSchema,
  multiQueryRowSchema,
  rejectionReasons,
  type MultiQueryCacheRecord,
  type MultiQueryRejection,
  type MultiQueryRow,
  type RejectionReason,
} from './multi-query-types.js';
