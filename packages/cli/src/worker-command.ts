/**
 * `sleeptime worker`: a process that only runs sleep jobs, next to `sleeptime serve` on the same
 * store. On PostgreSQL, start any number of them on any machines: Graphile Worker delivers the jobs,
 * leases hand a crashed worker's job to another.
 */
import type { Command } from 'commander';
import { integerFlag, type GlobalOptions } from './global-options.js';
import { addJobFlags, parseCallFlags, parseJobFlags, startJobsOnRuntime, untilStopSignal, type JobFlagValues } from './job-flags.js';
import type { CliOutput } from './main.js';
import { openRuntime } from './runtime.js';

export function registerWorkerCommand(program: Command, output: CliOutput): void {
  const worker = program
    .command('worker')
    .description('run sleep jobs for `sleeptime serve` on the same store (any number of processes on PostgreSQL)')
    .option('--concurrency <n>', 'sleep jobs run at once', '1');
  addJobFlags(worker).action(async (options: JobFlagValues & { concurrency: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const concurrency = integerFlag(options.concurrency, '--concurrency', 1, 64) ?? 1;
    const jobFlags = parseJobFlags(options);
    const runtime = await openRuntime(globals, { showProgress: false, retry: parseCallFlags(options) });
    const log = (line: string) => output.stderr(line);
    try {
      const jobs = await startJobsOnRuntime(runtime, { workers: concurrency, ...jobFlags }, log);
      try {
        output.stdout(`sleeptime worker ${process.pid} running sleep jobs (model ${runtime.modelSpec}; ${runtime.store.kind} store; ${jobs.queue} job queue; concurrency ${concurrency})\n`);
        await Promise.race([untilStopSignal(), jobs.failure]);
        log('Shutting down: the sleep jobs in flight go back to the queue...\n');
      } finally {
        await jobs.stop();
      }
    } finally {
      await runtime.close();
    }
  });
}
