/**
 * Token usage as the provider reported it. A field the provider did not report is 0 here; the raw
 * report is kept beside it (see `ModelCallRecord.rawUsage`) so nothing is lost.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export const zeroUsage: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, reasoningTokens: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}

export function sumUsage(usages: Iterable<Usage>): Usage {
  let total: Usage = zeroUsage;
  for (const usage of usages) total = addUsage(total, usage);
  return total;
}

/** The AI SDK's per-call usage shape (LanguageModelUsage / totalUsage), fields possibly undefined. */
export interface ReportedUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  reasoningTokens?: number | undefined;
  outputTokenDetails?: { reasoningTokens?: number | undefined } | undefined;
}

export function usageFromReport(report: ReportedUsage | undefined): Usage {
  return {
    inputTokens: report?.inputTokens ?? 0,
    outputTokens: report?.outputTokens ?? 0,
    reasoningTokens: report?.outputTokenDetails?.reasoningTokens ?? report?.reasoningTokens ?? 0,
  };
}
