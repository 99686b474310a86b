/**
 * SWE-Features in the bench: the test-time coding agent under a step budget, the grid (step budgets
 * x with and without the repository sleep-time agent's notes), the runner, the result rows and the
 * items' loader. The dataset itself (items from a repository's history, `fileSetF1`) is in
 * datasets/swe-features; the analysis and the figure in analysis/ and report/.
 */
export { codingAgentToolsDigest, maxCodingAgentSteps, runCodingAgent, type CodingAgentOptions, type CodingAgentResult, type CodingAgentStep, type CodingAgentStopReason } from './coding-agent.js';
export {
  codingAgentInstructions,
  codingAgentPromptsDigest,
  codingAgentSystemPrompt,
  codingAgentTaskMessage,
  doneToolName,
  stepMarker,
  type CodingAgentPromptInput,
} from './coding-agent-prompts.js';
export {
  defaultStepBudgets,
  parseSweFeaturesGrid,
  planSweFeaturesGrid,
  sweFeaturesConditions,
  sweFeaturesDataset,
  sweFeaturesGridSchema,
  sweFeaturesRowKey,
  sweFeaturesSleepRunKey,
  type SweFeaturesCell,
  type SweFeaturesCondition,
  type SweFeaturesGrid,
  type SweFeaturesGridInput,
} from './swe-features-grid.js';
export { checkSweFeaturesRepositories, isSweFeaturesItemsFile, loadSweFeaturesItems, type LoadSweFeaturesItemsOptions } from './swe-features-items.js';
export { codingAgentStopReasons, readResultsKind, sweFeaturesResultRowFormat, sweFeaturesResultRowSchema, type SweFeaturesResultRow } from './swe-features-result-row.js';
export { runSweFeaturesBench, type RunSweFeaturesBenchOptions, type RunSweFeaturesBenchResult } from './run-swe-features-bench.js';
