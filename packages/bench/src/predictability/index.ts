/** Predictability of a query from its context: log p(query | context) under a scoring model. */
export { DEFAULT_QUERY_SEPARATOR, predictabilityItemFromBenchItem, SMALLEST_PROBABILITY, type PredictabilityItem, type ScoringProgress } from './predictability-item.js';
// The node-llama-cpp scorer is reached through scoreQueryLogProbability: its types need node-llama-cpp,
// an optional dependency of this package.
export {
  queryLogProbabilityFromEcho,
  scoreWithOpenAiCompatibleServer,
  type CompletionResponse,
  type OpenAiCompatibleQueryScorerOptions,
} from './openai-compatible-query-scorer.js';
export {
  queryScoringModelFromSpec,
  scoreQueryLogProbability,
  type QueryScoringModel,
  type ScoreQueryLogProbabilityOptions,
} from './score-query-log-probability.js';
export { predictabilityRowSchema, readPredictabilityRows, writePredictabilityRows } from './predictability-rows-file.js';
