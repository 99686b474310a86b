/**
 * `npm run bench:cli`: start-up wall time of the `sleeptime` command (the built bin,
 * packages/cli/bin/sleeptime.js over the esbuild bundle) against bare Node (`node -e ''`):
 * `--help`, `context list` on an empty SQLite data folder (and on a new one, which creates the
 * database), and a validation error that must exit 1 before opening the store or a model; for
 * comparison, the same commands from the TypeScript sources through tsx, as the CLI ran before it
 * was bundled. All commands run side by side, interleaved round by round in a rotating order, so a
 * slow phase of the machine hits them alike.
 *
 * Progress goes to stderr, the Markdown section to stdout; the section also replaces (or is appended
 * as) "## CLI start-up time" in BENCHMARKS.md unless `--no-write`.
 *
 * Options: `--rounds 20` (measured), `--warmup 3`, `--no-sources` (skip the tsx runs), `--no-write`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchmarksSection } from '../shared/benchmarks-section.js';
import { parseArgs } from 'node:util';
import { median, percentile } from '../shared/latency-statistics.js';

const SECTION_TITLE = '## CLI start-up time';
const GOAL_MS = 100;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repoRoot, 'packages/cli/bin/sleeptime.js');
const sourcesRunner = fileURLToPath(new URL('./run-cli-from-sources.mjs', import.meta.url));

interface Options {
  rounds: number;
  warmup: number;
  sources: boolean;
  write: boolean;
}

function positiveInteger(value: string | undefined, name: string, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new Error(`${name} must be an integer >= ${minimum}, got "${value}"`);
  return parsed;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      'no-sources': { type: 'boolean' },
      'no-write': { type: 'boolean' },
    },
  });
  return {
    rounds: positiveInteger(values.rounds, '--rounds', 20),
    warmup: positiveInteger(values.warmup, '--warmup', 3, 0),
    sources: values['no-sources'] !== true,
    write: values['no-write'] !== true,
  };
}

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Case {
  key: string;
  /** As shown in the table. */
  label: string;
  /** Node's arguments; a function gets a fresh value per run (e.g. a new data folder). */
  args: (run: number) => string[];
  expectedExitCode: number;
  /** Throws when the output is not what the command should print. */
  check?: (run: Run) => void;
  /** Left out of the "within 100 ms" verdict (the old way, shown for comparison). */
  comparison?: boolean;
}

/** Children get the environment without anything that would change what starts (no NODE_OPTIONS, no sleeptime settings). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'NODE_OPTIONS' || name.startsWith('SLEEPTIME_')) continue;
    env[name] = value;
  }
  return env;
}

/** Wall time from spawn to exit (streams closed), as a shell user would see it. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr, ms: performance.now() - started }));
  });
}

function expectOutput(run: Run, stream: 'stdout' | 'stderr', pattern: RegExp): void {
  if (!pattern.test(run[stream])) throw new Error(`expected ${stream} to match ${pattern}, got: ${run[stream].slice(0, 500)}`);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function signedMs(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${formatMs(Math.abs(ms))}`;
}

interface CaseResult {
  testCase: Case;
  samples: number[];
  pairedDifferences: number[];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(join(repoRoot, 'packages/cli/dist/main.js'))) throw new Error('packages/cli/dist/main.js is missing: run `npm run build` first');
  const workDir = await mkdtemp(join(tmpdir(), 'sleeptime-bench-cli-'));
  const emptyDataDir = join(workDir, 'empty');
  const sourcesDataDir = join(workDir, 'empty-sources');
  const validationDataDir = join(workDir, 'never-created');
  const newDataDirs = join(workDir, 'new');
  await mkdir(newDataDirs);

  const noContexts = (run: Run) => expectOutput(run, 'stdout', /No contexts yet/);
  const usage = (run: Run) => expectOutput(run, 'stdout', /^Usage: sleeptime /);
  const verbosityError = (run: Run) => {
    expectOutput(run, 'stderr', /verbosity/);
    if (existsSync(validationDataDir)) throw new Error(`the validation error opened the store: ${validationDataDir} exists`);
  };
  const validationArgs = ['ask', 'x', 'q', '--verbosity', '9', '--data-dir', validationDataDir];
  const cases: Case[] = [
    { key: 'bare', label: "`node -e ''` (bare Node)", args: () => ['-e', ''], expectedExitCode: 0 },
    { key: 'help', label: '`sleeptime --help`', args: () => [bin, '--help'], expectedExitCode: 0, check: usage },
    {
      key: 'list',
      label: '`sleeptime context list` (empty SQLite data folder)',
      args: () => [bin, 'context', 'list', '--data-dir', emptyDataDir],
      expectedExitCode: 0,
      check: noContexts,
    },
    {
      key: 'list-new',
      label: '`sleeptime context list` (new data folder: creates the database)',
      args: (run) => [bin, 'context', 'list', '--data-dir', join(newDataDirs, String(run))],
      expectedExitCode: 0,
      check: noContexts,
    },
    {
      key: 'validation',
      label: '`sleeptime ask x "q" --verbosity 9` (exit 1)',
      args: () => [bin, ...validationArgs],
      expectedExitCode: 1,
      check: verbosityError,
    },
  ];
  if (options.sources) {
    const fromSources = ['--conditions=@sleeptime/source', sourcesRunner];
    cases.push(
      {
        key: 'sources-help',
        label: 'before bundling: `--help` from the sources through tsx',
        args: () => [...fromSources, '--help'],
        expectedExitCode: 0,
        check: usage,
        comparison: true,
      },
      {
        key: 'sources-list',
        label: 'before bundling: `context list` from the sources through tsx',
        args: () => [...fromSources, 'context', 'list', '--data-dir', sourcesDataDir],
        expectedExitCode: 0,
        check: noContexts,
        comparison: true,
      },
    );
  }

  const env = childEnv();
  const results = new Map<string, CaseResult>(cases.map((testCase) => [testCase.key, { testCase, samples: [], pairedDifferences: [] }]));
  const loadBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  let runNumber = 0;
  try {
    for (let round = 0; round < options.warmup + options.rounds; round++) {
      const measured = round >= options.warmup;
      // Rotate the order every round, so no command always runs first or right after another.
      const order = cases.map((_, index) => cases[(index + round) % cases.length]!);
      const roundTimes = new Map<string, number>();
      for (const testCase of order) {
        const run = await timeRun(testCase.args(runNumber++), env);
        if (run.exitCode !== testCase.expectedExitCode) {
          throw new Error(`${testCase.label} exited with ${run.exitCode}, expected ${testCase.expectedExitCode}\n${run.stdout}\n${run.stderr}`);
        }
        testCase.check?.(run);
        roundTimes.set(testCase.key, run.ms);
      }
      const bare = roundTimes.get('bare')!;
      if (measured) {
        for (const testCase of cases) {
          const result = results.get(testCase.key)!;
          const ms = roundTimes.get(testCase.key)!;
          result.samples.push(ms);
          result.pairedDifferences.push(ms - bare);
        }
      }
      const summary = cases.map((testCase) => `${testCase.key} ${Math.round(roundTimes.get(testCase.key)!)}`).join(', ');
      console.error(`${measured ? 'round' : 'warm-up'} ${measured ? round - options.warmup + 1 : round + 1}: ${summary} (ms)`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const loadAfter = loadavg()[0] ?? 0;

  const flags = process.argv.slice(2).filter((flag) => flag !== '--no-write');
  const command = `npm run bench:cli${flags.length === 0 ? '' : ` -- ${flags.join(' ')}`}`;
  const section = renderSection([...results.values()], { ...options, command, totalSeconds, loadBefore, loadAfter, validationArgs });
  console.log(section);
  if (options.write) console.error(`wrote ${await writeBenchmarksSection(SECTION_TITLE, section)}`);
}

interface RunFacts extends Options {
  /** The command that produced the section. */
  command: string;
  totalSeconds: number;
  loadBefore: number;
  loadAfter: number;
  validationArgs: string[];
}

function renderSection(results: CaseResult[], facts: RunFacts): string {
  const bare = results.find((result) => result.testCase.key === 'bare')!;
  const bareMedian = median(bare.samples);
  const cpu = cpus();
  const date = new Date().toISOString().slice(0, 10);
  const rows = results.map(({ testCase, samples, pairedDifferences }) => {
    const middle = median(samples);
    const spread = `${formatMs(percentile(samples, 25))}–${formatMs(percentile(samples, 75))}`;
    const range = `${formatMs(Math.min(...samples))}–${formatMs(Math.max(...samples))}`;
    if (testCase.key === 'bare') return `| ${testCase.label} | ${formatMs(middle)} | ${spread} | ${range} | | | | |`;
    const overBare = middle - bareMedian;
    const paired = median(pairedDifferences);
    const verdict = testCase.comparison === true ? '(old way)' : paired <= GOAL_MS ? 'yes' : 'no';
    return `| ${testCase.label} | ${formatMs(middle)} | ${spread} | ${range} | ${signedMs(overBare)} | ${signedMs(paired)} | ${(middle / bareMedian).toFixed(1)}x | ${verdict} |`;
  });
  return [
    SECTION_TITLE,
    '',
    `Measured with \`${facts.command}\` on ${date}, ${cpu.length} CPU cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
      `${facts.rounds} measured rounds after ${facts.warmup} warm-up round(s); load average ${facts.loadBefore.toFixed(1)} before, ${facts.loadAfter.toFixed(1)} after.`,
    '',
    `| command | median | p25–p75 | min–max | − bare Node (medians) | − bare Node (median of paired differences) | ratio to bare Node | within ${GOAL_MS} ms of bare Node |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    `**Method.** Each command is a fresh \`node\` process started from the benchmark (\`child_process.spawn\` of \`${'process.execPath'}\` with the command's arguments, ` +
      'stdout and stderr piped and read); its time is the wall time from the spawn call until the process exited and its output streams closed, ' +
      'so every row, bare Node included, pays the same spawn and pipe costs and the differences are what the CLI adds. ' +
      'The `sleeptime` rows run the built bin, `node packages/cli/bin/sleeptime.js` (the esbuild bundle in packages/cli/dist, as installed from the npm package). ' +
      'Every round runs each command once, in an order rotated by one every round; the first rounds are warm-up (the page cache, the SQLite file) and are dropped. ' +
      '"Median of paired differences" is the median over rounds of (command − bare Node) within the same round, which damps slow phases of the shared machine; ' +
      `the verdict column compares it with the goal of ${GOAL_MS} ms. ` +
      '`context list` on an empty data folder opens the existing, empty SQLite store (created by the first warm-up run); the "new data folder" row gets a folder that does not exist yet every time, ' +
      'so it also creates the database and applies the migrations. ' +
      `The validation error (\`sleeptime ${facts.validationArgs.slice(0, 5).join(' ')}\`) must exit 1; the benchmark checks after every run that its \`--data-dir\` was never created, so the store was not opened. ` +
      (facts.sources
        ? 'The "before bundling" rows run the same CLI from its TypeScript sources through tsx (`node --conditions=@sleeptime/source benchmarks/cli/run-cli-from-sources.mjs`, which registers tsx and imports packages/cli/src/main.ts), ' +
          'as bin/sleeptime.js did before the packages were split and the CLI bundled; it loads today\'s sources (so it has the same lazy loading as the bundle) and tsx\'s compile cache is warm after the warm-up rounds. '
        : '') +
      `The whole run took ${facts.totalSeconds.toFixed(0)} s.`,
    '',
  ].join('\n');
}

await main();
