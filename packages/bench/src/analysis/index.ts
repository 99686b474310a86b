/** Pure analyses over benchmark result rows (SPEC sections 2-4): figures (a)-(e), the summary, and the statistics behind them. */
export * from './accuracy-intervals.js';
export * from './accuracy-versus-sleep-budget.js';
export * from './accuracy-versus-tokens.js';
export * from './amortized-cost.js';
export * from './bootstrap.js';
export * from './budgets.js';
export * from './equal-accuracy-claim.js';
export * from './pareto.js';
export * from './predictability-gap.js';
export * from './row-statistics.js';
export * from './sleep-versus-pass-at-k.js';
export * from './summary.js';
export * from './swe-features-f1.js';
