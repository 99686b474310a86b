/** The benchmark datasets: Stateful GSM-Symbolic, Stateful AIME, Multi-Query, SWE-Features, graders, the stateful split. */
export * from './aime.js';
export * from './datasets-dir.js';
export * from './datasets-manifest.js';
export * from './download-datasets.js';
export * from './grading.js';
export * from './gsm-symbolic/index.js';
export * from './jsonl.js';
export * from './multi-query/index.js';
export * from './stateful-split.js';
export * from './swe-features/index.js';
