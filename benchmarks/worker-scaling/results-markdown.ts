/** The worker-scaling benchmark's results as the Markdown section that goes into BENCHMARKS.md. */
import { upstreamCallsPerJob } from './scaling-run.js';
import { scalingGoal, type ScalingRow } from './scaling-summary.js';

export const sectionTitle = '## Sleep-worker scaling on PostgreSQL';

export interface ScalingRunFacts {
  date: string;
  cores: number;
  cpuModel: string;
  nodeVersion: string;
  /** e.g. "PostgreSQL 15"; undefined when the server was given rather than started. */
  postgres: string | undefined;
  command: string;
  delayMs: number;
  jobs: number;
  rounds: number;
  workerCounts: number[];
  queues: string[];
  totalSeconds: number;
}

function table(header: readonly string[], alignRight: readonly boolean[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(alignRight.map((right) => (right ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

const rate = (value: number) => value.toFixed(2);
const optional = (value: number | undefined, format: (value: number) => string) => (value === undefined ? 'n/a' : format(value));

function rowCells(row: ScalingRow): string[] {
  return [
    row.queue,
    String(row.workers),
    String(row.jobs),
    rate(row.jobsPerSecond),
    row.roundJobsPerSecond.map(rate).join(', '),
    `${row.seconds.toFixed(2)} s`,
    optional(row.ratio, (value) => `${value.toFixed(2)}x`),
    row.workers === 1 ? '(base)' : `${row.goalMet === true ? 'yes' : row.goalMet === false ? '**no**' : 'n/a'} (≥ ${row.goalRatio.toFixed(1)}x)`,
    row.jobsPerWorker.min === row.jobsPerWorker.max ? String(row.jobsPerWorker.min) : `${row.jobsPerWorker.min}–${row.jobsPerWorker.max}`,
    `${Math.round(row.jobMs)} ms`,
    `${Math.round(row.firstJobMs)} ms`,
    optional(row.workerCpuMsPerJob, (value) => `${Math.round(value)} ms`),
    optional(row.machineBusy, (value) => `${Math.round(value * 100)}%`),
    String(row.peakInFlight),
  ];
}

function verdicts(rows: readonly ScalingRow[]): string {
  const scaled = rows.filter((row) => row.workers > 1 && row.ratio !== undefined);
  if (scaled.length === 0) return '';
  const parts = scaled.map((row) => `${row.queue} queue, ${row.workers} workers: ${row.ratio!.toFixed(2)}x against ${row.goalRatio.toFixed(1)}x, ${row.goalMet ? 'met' : 'not met'}`);
  return `Goal (issue 12): N workers at least ${scalingGoal} × N times the one-worker rate. ${parts.join('; ')}.`;
}

function enqueueRange(rows: readonly ScalingRow[]): string {
  const times = rows.map((row) => Math.round(row.enqueueMs));
  const low = Math.min(...times);
  const high = Math.max(...times);
  return low === high ? `${low} ms` : `${low}–${high} ms (the rows' medians)`;
}

export function resultsMarkdown(rows: readonly ScalingRow[], facts: ScalingRunFacts): string {
  const results = table(
    ['queue', 'workers', 'jobs', 'jobs/s (median)', 'jobs/s per round', 'time to last success (median)', 'ratio to 1 worker', `≥ ${scalingGoal} × N`, 'jobs per worker', 'job time (median)', 'a worker\'s first job, request → success (warm-up)', 'worker CPU per job', 'cores busy', 'upstream calls in flight (peak)'],
    [false, true, true, true, false, true, true, false, true, true, true, true, true, true],
    rows.map(rowCells),
  );
  const floorMs = upstreamCallsPerJob * facts.delayMs;
  return `${sectionTitle}

Measured with \`${facts.command}\` on ${facts.date}, ${facts.cores} CPU cores (${facts.cpuModel}), Node ${facts.nodeVersion}, ${facts.postgres ?? 'PostgreSQL'} on the same machine. The upstream is a scripted local server that answers every call after a fixed ${facts.delayMs} ms: these figures measure how sleep jobs spread over worker processes, not a real model.

${results}

${verdicts(rows)} Sending the ${facts.jobs} sleep requests, inside the timed span, took ${enqueueRange(rows)}.

**Method.** Each measured run gets a new PostgreSQL database and its own processes: \`sleeptime serve --workers 0\` (it takes requests and enqueues jobs, and runs none), and N \`sleeptime worker --concurrency 1\` processes (the built bin, real child processes), all with \`--queue\` set to the row's queue (graphile is the default on PostgreSQL; embedded polls the store's job table every 250 ms when idle) and the default lease and per-tenant cap (one running sleep per tenant). The upstream is the \`bench:service\` scripted OpenAI-compatible server in a process of its own, with every chat completion delayed by ${facts.delayMs} ms on a timer; a sleep run makes ${upstreamCallsPerJob} calls (\`rethink_memory\`, \`finish_rethinking\`, then the one-token prefix warm-up of an OpenAI-compatible model), so a job cannot take less than ${floorMs} ms. ${facts.jobs} tenants each get an API key and one context of about 1.5 KB, so no job waits for the tenant cap (one tenant's jobs run one at a time by default) while every claim still goes through the capped claim; the writes' own sleeps are put an hour off (\`--quiet-period-ms\`), so only the measured sleeps run. Once all N workers say they are running, they are warmed up: a worker loads the model layer (the AI SDK and its provider) on its first sleep, once per process, so the benchmark asks for sleeps of 2N other tenants' contexts at once, and again until every worker has logged a success (the column "a worker's first job" is the time from that job's request to its success, pick-up included, median over workers; the warm-up batch is requested at once). Then it sends the ${facts.jobs} measured on-demand sleeps at once (\`POST /v1/contexts/:id/sleep\`, each tenant with its own key) and polls the store until every job has finished. The time is from just before the first request to the last job's success as the worker recorded it in the store (the job's \`updated_at\`), so the polling interval does not count; jobs/s is ${facts.jobs} over that time; the ratio is the row's median rate over the same queue's one-worker median. Every job must succeed on its first attempt with one succeeded sleep run, and every context must end with exactly one learned context, or the benchmark fails. Job time is the median, over jobs, of the time from a job's sleep run starting to the job's success (the three calls and the store's bookkeeping); the benchmark also checks that the upstream got exactly three calls per measured job (no retries); jobs per worker counts each worker's measured successes in its log; worker CPU per job is the worker processes' user + system time (/proc) over the measured span divided by the jobs; cores busy is the share of both cores' time that was busy over that span, from /proc/stat, whoever used it (PostgreSQL, our processes, and other sessions on this machine); the upstream peak counts calls that arrived within one delay of each other. Worker counts ${facts.workerCounts.join(', ')} on the ${facts.queues.join(' and ')} queue${facts.queues.length === 1 ? '' : 's'} run in ${facts.rounds} rounds, the order of the configurations rotated by one each round; the table gives medians over rounds and each round's rate. The benchmark, the service, the workers, the upstream and PostgreSQL share the ${facts.cores} cores, with other sessions' work. The whole run took ${Math.round(facts.totalSeconds)} s after the build.
`;
}
