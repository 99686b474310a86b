/**
 * `sleeptime serve`: the HTTP API on the embedded defaults (SQLite in --data-dir, the model made
 * on first use), and `sleeptime keys create`: a new API key for a tenant.
 */
import type { Command } from 'commander';
import { createJobWorker } from '../jobs/job-worker.js';
import { defaultQuietPeriodMs } from '../jobs/sleep-triggers.js';
import { parseStaleAskPolicy } from '../jobs/stale-ask.js';
import { bootstrapApiKey, issueApiKey } from '../server/api-keys.js';
import { createServerApp, defaultMaxBodyBytes } from '../server/app.js';
import { startHttpServer } from '../server/http-server.js';
import { userError } from '../errors.js';
import { integerFlag, type GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';
import { openRuntime, withRuntime } from './runtime.js';

export function registerServeCommand(program: Command, output: CliOutput): void {
  program
    .command('serve')
    .description('serve the HTTP API and the OpenAI-compatible proxy')
    .option('--port <port>', 'port to listen on', '8787')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--max-body-bytes <n>', 'largest request body accepted', String(defaultMaxBodyBytes))
    .option('--quiet-period-ms <n>', 'sleep a context once it has not been written for this long', String(defaultQuietPeriodMs))
    .option('--sleep-every-asks <n>', 'also sleep a context every N asks (0: off)', '0')
    .option('--sleep-every-appends <n>', 'also sleep a context every N appended turns (0: off)', '0')
    .option('--stale-ask <policy>', 'asks on a stale learned context: serve-stale, without, or wait:<ms>', 'serve-stale')
    .action(async (options: { port: string; host: string; maxBodyBytes: string; quietPeriodMs: string; sleepEveryAsks: string; sleepEveryAppends: string; staleAsk: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const port = integerFlag(options.port, '--port', 0, 65_535) ?? 8787;
      const maxBodyBytes = integerFlag(options.maxBodyBytes, '--max-body-bytes', 1024, 1024 * 1024 * 1024) ?? defaultMaxBodyBytes;
      const quietPeriodMs = integerFlag(options.quietPeriodMs, '--quiet-period-ms', 0, 7 * 24 * 3_600_000) ?? defaultQuietPeriodMs;
      const everyAsks = integerFlag(options.sleepEveryAsks, '--sleep-every-asks', 0, 1_000_000) ?? 0;
      const everyAppends = integerFlag(options.sleepEveryAppends, '--sleep-every-appends', 0, 1_000_000) ?? 0;
      const staleAsk = parseStaleAskPolicy(options.staleAsk);
      if (staleAsk === undefined) throw userError('invalid_option', `--stale-ask must be serve-stale, without or wait:<ms>, got "${options.staleAsk}"`);
      const runtime = await openRuntime(globals, { showProgress: false });
      // Sleep jobs live in the store and are run here; one left by a previous process is picked up again.
      const worker = createJobWorker({ store: runtime.store, engine: runtime.engine, onError: (error) => output.stderr(`job worker: ${error instanceof Error ? error.message : String(error)}\n`) });
      try {
        const issued = await bootstrapApiKey(runtime.store);
        if (issued !== undefined) {
          output.stdout(`Created tenant "${issued.tenant.name}" with API key (shown once, keep it):\n  ${issued.key}\n`);
        }
        const app = createServerApp({
          store: runtime.store,
          model: runtime.loadModel,
          maxBodyBytes,
          staleAsk,
          triggers: { quietPeriodMs, everyAsks, everyAppends, onEnqueued: () => worker.wake() },
        });
        worker.start();
        const server = await startHttpServer(app, { port, host: options.host });
        output.stdout(`sleeptime serving on ${server.url} (model ${runtime.modelSpec}; OpenAPI at ${server.url}/openapi.json)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        output.stderr('Shutting down: stopping the job worker and closing the server...\n');
        // A run in flight is aborted and recorded as failed; its job goes back to the queue for the next start.
        await worker.stop();
        await server.close();
      } finally {
        await worker.stop();
        await runtime.close();
      }
    });

  program
    .command('keys')
    .description('manage API keys of the HTTP service')
    .command('create')
    .description('create an API key for a tenant (the tenant is created if new); the key is shown once')
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--label <label>', 'a note to recognise the key by')
    .action(async (options: { tenant: string; label?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      if (options.tenant.trim() === '') throw userError('invalid_option', '--tenant must not be empty');
      const issued = await withRuntime(globals, ({ store }) =>
        issueApiKey(store, { tenantName: options.tenant, ...(options.label === undefined ? {} : { label: options.label }) }),
      );
      if (globals.json) output.stdout(`${JSON.stringify({ tenant: issued.tenant.name, tenantId: issued.tenant.id, keyId: issued.keyId, key: issued.key }, null, 2)}\n`);
      else output.stdout(`API key for tenant "${issued.tenant.name}" (shown once, keep it):\n  ${issued.key}\n`);
    });
}
