/** The benchmark's results as the Markdown section that goes into BENCHMARKS.md. */
import type { OverheadResult, OverheadVariant } from './overhead-benchmark.js';
import type { ThroughputRow } from './throughput-benchmark.js';
import { settleStableMs, type TriggerRow } from './trigger-coalescing-benchmark.js';

export const sectionTitle = '## Service overhead, throughput and trigger coalescing';

export interface RunDescription {
  date: string;
  cores: number;
  cpuModel: string;
  nodeVersion: string;
  command: string;
  iterations: number;
  warmup: number;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  quietPeriodMs: number;
  totalSeconds: number;
}

export interface BenchmarkResults {
  run: RunDescription;
  overhead?: OverheadResult;
  throughput?: ThroughputRow[];
  triggers?: TriggerRow[];
}

function ms(value: number): string {
  const digits = Math.abs(value) < 10 ? 2 : 1;
  return `${value.toFixed(digits)} ms`;
}

function ratio(service: number, direct: number): string {
  return `${(service / direct).toFixed(2)}x`;
}

function table(header: readonly string[], alignRight: readonly boolean[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(alignRight.map((right) => (right ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

const variantRows: { variant: OverheadVariant; path: string; request: string }[] = [
  { variant: 'direct-ask-sdk', path: 'direct, AI SDK, ask-shaped', request: 'upstream `POST /v1/chat/completions` through the project model layer (`createModel` + `generateText`, as the engine calls it)' },
  { variant: 'direct-ask-fetch', path: 'direct, plain fetch, ask-shaped', request: 'upstream `POST /v1/chat/completions` with `fetch`, the exact body the service sends for an ask' },
  { variant: 'service-ask', path: 'service ask endpoint', request: '`POST /v1/contexts/:id/ask` (non-streaming, fresh learned context)' },
  { variant: 'direct-proxy-sdk', path: 'direct, AI SDK, proxy-shaped', request: 'upstream `POST /v1/chat/completions` through the project model layer, the messages the proxy sends' },
  { variant: 'service-proxy', path: 'service OpenAI-compatible proxy', request: '`POST /v1/chat/completions` with `x-sleeptime-context` (non-streaming)' },
];

function overheadSection(result: OverheadResult): string {
  const s = result.summaries;
  const latencies = table(
    ['path', 'what is called', 'p50', 'p99'],
    [false, false, true, true],
    variantRows.map(({ variant, path, request }) => [path, request, ms(s[variant].p50), ms(s[variant].p99)]),
  );
  const overheadRow = (label: string, service: OverheadVariant, direct: OverheadVariant, paired: number) => [
    label,
    ms(s[service].p50 - s[direct].p50),
    ms(s[service].p99 - s[direct].p99),
    ratio(s[service].p50, s[direct].p50),
    ratio(s[service].p99, s[direct].p99),
    ms(paired),
  ];
  const overhead = table(
    ['service path − direct call', 'overhead at p50', 'overhead at p99', 'ratio at p50', 'ratio at p99', 'median of paired differences'],
    [false, true, true, true, true, true],
    [
      overheadRow('ask endpoint − direct AI SDK call', 'service-ask', 'direct-ask-sdk', result.pairedMedianMs.ask),
      overheadRow('proxy − direct AI SDK call', 'service-proxy', 'direct-proxy-sdk', result.pairedMedianMs.proxy),
      overheadRow('ask endpoint − direct plain fetch', 'service-ask', 'direct-ask-fetch', result.pairedMedianMs.askVersusFetch),
    ],
  );
  const identical =
    result.identicalUpstreamBody.ask && result.identicalUpstreamBody.proxy
      ? 'Both direct AI SDK calls sent the upstream byte-identical bodies to the ones the service sent for the same question'
      : `The direct calls' upstream bodies differed from the service's (ask identical: ${String(result.identicalUpstreamBody.ask)}, proxy identical: ${String(result.identicalUpstreamBody.proxy)})`;
  return [
    '### Per-ask overhead against a direct call to the same upstream',
    '',
    latencies,
    '',
    overhead,
    '',
    `${identical} (${result.upstreamBodyBytes.ask} bytes for the ask, ${result.upstreamBodyBytes.proxy} for the proxy). ${result.iterations} measured iterations after ${result.warmup} warm-up iterations; each iteration makes one call of each of the five kinds.`,
  ].join('\n');
}

function throughputSection(rows: readonly ThroughputRow[], run: RunDescription): string {
  const body = table(
    ['clients', 'asks', `asks/s (median of ${run.rounds} rounds)`, 'asks/s per round', 'p50', 'p99', 'service CPU per ask', 'upstream CPU per ask'],
    [true, true, true, false, true, true, true, true],
    rows.map((row) => [
      String(row.concurrency),
      String(row.asks),
      row.asksPerSecondMedian.toFixed(0),
      row.asksPerSecondByRound.map((value) => value.toFixed(0)).join(', '),
      ms(row.latency.p50),
      ms(row.latency.p99),
      ms(row.serviceCpuMsPerAsk),
      ms(row.upstreamCpuMsPerAsk),
    ]),
  );
  return ['### Asks per second on the embedded store', '', body].join('\n');
}

function triggerSection(rows: readonly TriggerRow[], run: RunDescription): string {
  const body = table(
    ['writes', 'pattern', 'write span', 'expected sleep runs', 'jobs', 'sleep runs', 'succeeded', 'superseded', 'learned versions', 'fresh at end', 'last write → fresh learned'],
    [false, false, true, false, true, true, true, true, true, false, true],
    rows.map((row) => [
      `${row.scenario.writes} ${row.scenario.write}${row.scenario.writes === 1 ? '' : 's'}`,
      row.scenario.label,
      `${row.writeSpanMs} ms`,
      row.scenario.expected,
      String(row.jobs),
      String(row.sleepRuns),
      String(row.succeeded),
      String(row.superseded) + (row.otherFailures > 0 ? ` (+${row.otherFailures} other failures)` : ''),
      String(row.learnedVersions),
      row.freshAtEnd ? 'yes' : 'no',
      row.lastWriteToFreshMs === null ? '–' : `${row.lastWriteToFreshMs} ms`,
    ]),
  );
  return [`### Sleep runs per burst of writes (quiet period ${run.quietPeriodMs} ms)`, '', body].join('\n');
}

function methodSection(results: BenchmarkResults): string {
  const { run } = results;
  return [
    '**What this measures.** The upstream model is the project\'s scripted OpenAI-compatible server (`src/testing/scripted-openai-server.ts`) on 127.0.0.1, which answers every request at once with a canned reply. These figures are the service\'s own overhead and plumbing (HTTP, authentication, validation, the SQLite store, the job machinery); they say nothing about model latency or answer quality. All traffic stays on 127.0.0.1.',
    '',
    `**Method.** Three processes: the benchmark (the clients), the upstream, and the service wired as \`sleeptime serve\` wires it (SQLite store in a temp folder, the in-process job worker, the Hono app on Node's HTTP server, an API key; model \`openai-compatible:bench-upstream\` pointed at the upstream). A context of about 1.5 KB is put and slept on once through the API, so asks have a fresh learned context. All clients use Node's global \`fetch\` (keep-alive); the direct AI SDK calls use the same model layer as the service (\`createModel\` with its retry wrapper, \`generateText\` with \`maxRetries: 0\`), built with the same prompt code, and the benchmark checks that they send the upstream the same bytes as the service. A latency is the wall time in the benchmark process from the call until the response body is read and parsed (\`performance.now()\`).`,
    '',
    `*Overhead:* each iteration makes one call of each of the five kinds, one after another, with the order rotated every iteration; ${run.warmup} warm-up iterations, then ${run.iterations} measured. Percentiles are nearest-rank (p99 of 1,000 samples is the 990th smallest). Overhead is the service path's percentile minus the direct call's, and the ratio their quotient; the last column is the median over iterations of (service − direct) within the same iteration, which damps slow phases of the machine.`,
    '',
    `*Throughput:* N clients each ask again as soon as the previous answer is read, all on the same context, for ${run.seconds} s per run; the concurrency levels run in ${run.rounds} rounds with their order rotated, after a ${run.warmupSeconds} s warm-up. asks/s is completed asks divided by the time until the last one finished; the table gives the median over rounds and each round. Latencies are pooled over rounds. CPU per ask is the process's user + system CPU time over the runs (\`process.cpuUsage\`, asked over IPC before and after each run) divided by the asks. Every ask writes a run row and a model-call row, so the store grows during the run. The client, the service and the upstream share ${run.cores} cores.`,
    '',
    `*Trigger coalescing:* each scenario gets a fresh service (new SQLite store, in-process job worker with the default 250 ms poll interval) in the benchmark process, with a ${run.quietPeriodMs} ms quiet period. The writes (\`POST /v1/contexts/:id/append\` or \`PUT\`) go one after another over HTTP, as fast as round trips allow for a burst, or with a pause after each for spaced writes. The sleep runs are instant (two scripted upstream calls and the prefix warm-up), except in the last scenario, whose own upstream delays each of the two sleep-time calls by the quiet period so that writes land while a run is in flight. Once no job is pending or running, the job list has not changed for ${settleStableMs} ms and the quiet period has passed since the last write, the store is read: jobs of the context, its sleep runs (a run whose context changed while it ran publishes nothing and fails with \`superseded\`; a follow-up job runs on the new version), and its learned-context versions. The last column is from the last write's answer to the publication of the learned context that is current at the end (quiet period, plus up to one poll interval, plus the run).`,
    '',
    `The whole run took ${run.totalSeconds.toFixed(0)} s.`,
  ].join('\n');
}

export function resultsMarkdown(results: BenchmarkResults): string {
  const { run } = results;
  const parts = [
    sectionTitle,
    '',
    `Measured with \`${run.command}\` on ${run.date}, ${run.cores} CPU cores (${run.cpuModel}), Node ${run.nodeVersion}. The upstream is a scripted local server with instant canned replies: these figures measure the service's own overhead and plumbing, not model latency or answer quality.`,
  ];
  if (results.overhead !== undefined) parts.push('', overheadSection(results.overhead));
  if (results.throughput !== undefined) parts.push('', throughputSection(results.throughput, run));
  if (results.triggers !== undefined) parts.push('', triggerSection(results.triggers, run));
  parts.push('', methodSection(results));
  return `${parts.join('\n')}\n`;
}
