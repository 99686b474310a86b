/**
 * `@sleeptime/bench`: the paper's benchmarks for any model. Datasets (Stateful GSM-Symbolic,
 * Stateful AIME, Multi-Query, SWE-Features), the grid runners with resume and a model-call cache, the analyses
 * (figures (a)-(e), amortized cost, the predictability gap) and the report.
 */
export type * from './bench-types.js';
export * from './analysis/index.js';
export * from './datasets/index.js';
export * from './predictability/index.js';
export * from './report/index.js';
export * from './runner/index.js';
export * from './swe-features/index.js';
