/**
 * `sleeptime watch NAME`: keeps a repository context current. It polls the repository's ref
 * (debounced: one `git rev-parse` every --interval-ms) and re-puts the context when a commit
 * arrives, which makes its learned context stale (asks say `fresh: false`) until a sleep on the new
 * commit publishes: the quiet-period sleep job a running `serve` or `worker` runs, or with --sleep
 * this process, once the repository has been quiet for --quiet-period-ms. See
 * repository-context-command.ts.
 */
import type { Command } from 'commander';
import { defaultQuietPeriodMs } from '@sleeptime/service/defaults';
import { integerFlag, type GlobalOptions } from './global-options.js';
import { untilStopSignal } from './job-flags.js';
import type { CliOutput } from './main.js';
import { withRuntime } from './runtime.js';

interface WatchFlagValues {
  repo?: string;
  ref?: string;
  intervalMs: string;
  sleep?: boolean;
  quietPeriodMs: string;
  once?: boolean;
}

export function registerWatchCommand(program: Command, output: CliOutput): void {
  program
    .command('watch <id>')
    .description('keep a repository context current: re-put it when new commits arrive (its learned context is stale until the next sleep publishes)')
    .option('--repo <path>', 'the repository (default: the one the context names; needed to make the context)')
    .option('--ref <ref>', 'the branch, tag or commit to follow (default: the context\'s, else HEAD)')
    .option('--interval-ms <n>', 'how often to ask git where the ref points', '5000')
    .option('--sleep', 'also sleep on the context here, once the repository has been quiet for --quiet-period-ms (instead of leaving it to the sleep job of a running serve or worker)')
    .option('--quiet-period-ms <n>', 'with --sleep: how long the repository must stay unchanged before a sleep', String(defaultQuietPeriodMs))
    .option('--once', 'check once (and with --sleep, sleep at once if stale), then exit')
    .action(async (id: string, options: WatchFlagValues, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>();
      const intervalMs = integerFlag(options.intervalMs, '--interval-ms', 100, 24 * 3_600_000) ?? 5000;
      const quietPeriodMs = integerFlag(options.quietPeriodMs, '--quiet-period-ms', 0, 7 * 24 * 3_600_000) ?? defaultQuietPeriodMs;
      const { watchRepositoryContext } = await import('./repository-context-command.js');
      const stop = new AbortController();
      if (options.once !== true) void untilStopSignal().then(() => stop.abort());
      await withRuntime(opts, (runtime) =>
        watchRepositoryContext(runtime, {
          id,
          repository: options.repo,
          ref: options.ref,
          intervalMs,
          sleepAfterMs: options.sleep === true ? quietPeriodMs : undefined,
          once: options.once === true,
          signal: stop.signal,
          onEvent: (event) => {
            if (opts.json) {
              // One JSON object a line: the command runs until stopped.
              output.stdout(`${JSON.stringify(event)}\n`);
              return;
            }
            const line = (() => {
              switch (event.type) {
                case 'watching':
                  return `Watching ${event.repository} (${event.ref}) for context ${event.id}, every ${event.intervalMs} ms${event.sleeping ? '; sleeping here' : ''}. Stop with Ctrl-C.`;
                case 'put':
                  return `Context ${event.id} is at version ${event.version}: commit ${event.repository.commit.slice(0, 12)}${event.sleepJob === null ? '' : ` (sleep job due ${event.sleepJob.runAfter})`}.`;
                case 'slept':
                  return `Learned context for ${event.id} (version ${event.sourceVersion}) published: ${event.characters} characters, ${event.explorationCalls} exploration calls.`;
                case 'error':
                  return `The ${event.during} of ${event.id} failed (${event.code}): ${event.message}. Trying again later.`;
              }
            })();
            (event.type === 'error' ? output.stderr : output.stdout)(`${line}\n`);
          },
        }),
      );
    });
}
