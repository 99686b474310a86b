import type { RunRecord, TruncationLimit, Usage } from '@sleeptime/core';

/** Machine output (`--json`): indented JSON and a newline. */
export function printJson(output: { stdout(text: string): void }, value: unknown): void {
  output.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** A UTC time to the second, for tables: `2026-11-27 12:04:18`. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

export function formatUsage(usage: Usage): string {
  const parts = [`${usage.inputTokens} in`, `${usage.outputTokens} out`];
  if (usage.reasoningTokens > 0) parts.push(`${usage.reasoningTokens} reasoning`);
  return parts.join(', ');
}

export function formatDuration(milliseconds: number | null): string {
  if (milliseconds === null) return '-';
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

/** One line saying which limit cut an answer short, so it is never read as a finished answer. */
export function truncationNotice(limit: TruncationLimit): string {
  switch (limit) {
    case 'max-output-tokens':
      return 'truncated: the answer reached the output token limit (raise it with --max-tokens)';
    case 'time-limit':
      return "truncated: the local model's time limit per call stopped the answer";
    case 'repetition':
      return 'truncated: the model was repeating itself and was stopped';
  }
}

export function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => /^[\d.,\s%-]*$/.test(row[column] ?? '')));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function renderRuns(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No runs yet.';
  const rows = runs.map((run) => [
    formatTimestamp(run.startedAt),
    run.kind,
    run.status,
    String(run.sourceVersion),
    String(run.usage.inputTokens),
    String(run.usage.outputTokens),
    String(run.usage.reasoningTokens),
    formatDuration(run.durationMs),
    run.kind === 'ask'
      ? truncate(`${run.truncated ? '[truncated] ' : ''}${run.question ?? ''} → ${run.final ?? run.answer ?? run.error?.message ?? ''}`, 60)
      : truncate(run.error ? `${run.error.code}: ${run.error.message}` : String(run.settings.parallel ?? 1) + ' parallel', 60),
  ]);
  return renderTable(['started', 'kind', 'status', 'version', 'input', 'output', 'reasoning', 'time', 'detail'], rows);
}
