/**
 * `sleeptime serve`: the HTTP API and the OpenAI-compatible proxy. On the embedded defaults (SQLite
 * in --data-dir, the model made on first use) it also runs the sleep jobs; on PostgreSQL it delivers
 * them through Graphile Worker to its own workers and to any `sleeptime worker` processes. The
 * `keys` commands are in keys-commands.ts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultMaxBodyBytes, defaultQuietPeriodMs, defaultRateLimit, defaultTenantQuota, parseStaleAskPolicy } from '@sleeptime/service/defaults';
import { defaultMaxContextBytes, userError } from '@sleeptime/core';
import { integerFlag, type GlobalOptions } from './global-options.js';
import { addJobFlags, parseCallFlags, parseJobFlags, startJobsOnRuntime, untilStopSignal, type JobFlagValues } from './job-flags.js';
import type { CliOutput } from './main.js';
import { openRuntime } from './runtime.js';

interface ServeFlagValues extends JobFlagValues {
  port: string;
  host: string;
  maxBodyBytes: string;
  maxContextBytes: string;
  maxContextsPerTenant: string;
  maxBytesPerTenant: string;
  quietPeriodMs: string;
  sleepEveryAsks: string;
  sleepEveryAppends: string;
  staleAsk: string;
  workers: string;
  rateLimit: string;
  rateBurst?: string;
  repositoriesRoot?: string[];
}

/** Two, so one slow or hung sleep does not hold up every other context's. */
const defaultServeWorkers = 2;

export function registerServeCommand(program: Command, output: CliOutput): void {
  const serve = program
    .command('serve')
    .description('serve the HTTP API and the OpenAI-compatible proxy, and run sleep jobs')
    .option('--port <port>', 'port to listen on (0: any free port)', '8787')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--max-body-bytes <n>', 'largest request body accepted', String(defaultMaxBodyBytes))
    .option('--max-context-bytes <n>', 'largest text a context may reach by a put or an append (UTF-8 bytes)', String(defaultMaxContextBytes))
    .option('--max-contexts-per-tenant <n>', 'contexts one tenant may keep (0: no limit); over it, 403 tenant_context_limit', String(defaultTenantQuota.maxContexts))
    .option('--max-bytes-per-tenant <n>', "UTF-8 bytes of text a tenant's contexts may hold in all (0: no limit); over it, 403 tenant_storage_limit", String(defaultTenantQuota.maxBytes))
    .option('--quiet-period-ms <n>', 'sleep a context once it has not been written for this long', String(defaultQuietPeriodMs))
    .option('--sleep-every-asks <n>', 'also sleep a context every N asks (0: off)', '0')
    .option('--sleep-every-appends <n>', 'also sleep a context every N appended turns (0: off)', '0')
    .option('--stale-ask <policy>', 'asks on a stale learned context: serve-stale, without, or wait:<ms>', 'serve-stale')
    .option('--rate-limit <n>', 'requests a second per API key (0: no limit); over it, 429 rate_limited', String(defaultRateLimit.requestsPerSecond))
    .option('--rate-burst <n>', 'requests at once per API key after a quiet spell (default twice --rate-limit)')
    .option('--workers <n>', 'sleep jobs run at once in this process (0: none; leave them to `sleeptime worker` processes)', String(defaultServeWorkers))
    .option('--repositories-root <dir...>', 'let tenants put repository contexts (metadata.repository) naming a repository under this folder (repeatable); without it, 403 repository_not_allowed');
  addJobFlags(serve).action(async (options: ServeFlagValues, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const port = integerFlag(options.port, '--port', 0, 65_535) ?? 8787;
    const maxBodyBytes = integerFlag(options.maxBodyBytes, '--max-body-bytes', 1024, 1024 * 1024 * 1024) ?? defaultMaxBodyBytes;
    const maxContextBytes = integerFlag(options.maxContextBytes, '--max-context-bytes', 1, 1024 * 1024 * 1024) ?? defaultMaxContextBytes;
    const maxContextsPerTenant = integerFlag(options.maxContextsPerTenant, '--max-contexts-per-tenant', 0, 1_000_000_000) ?? defaultTenantQuota.maxContexts;
    const maxBytesPerTenant = integerFlag(options.maxBytesPerTenant, '--max-bytes-per-tenant', 0, 1024 ** 4) ?? defaultTenantQuota.maxBytes;
    const quietPeriodMs = integerFlag(options.quietPeriodMs, '--quiet-period-ms', 0, 7 * 24 * 3_600_000) ?? defaultQuietPeriodMs;
    const everyAsks = integerFlag(options.sleepEveryAsks, '--sleep-every-asks', 0, 1_000_000) ?? 0;
    const everyAppends = integerFlag(options.sleepEveryAppends, '--sleep-every-appends', 0, 1_000_000) ?? 0;
    const workers = integerFlag(options.workers, '--workers', 0, 64) ?? defaultServeWorkers;
    const requestsPerSecond = integerFlag(options.rateLimit, '--rate-limit', 0, 1_000_000) ?? defaultRateLimit.requestsPerSecond;
    const burst = integerFlag(options.rateBurst, '--rate-burst', 1, 10_000_000);
    const rateLimit = requestsPerSecond === 0 ? false : { requestsPerSecond, ...(burst === undefined ? {} : { burst }) };
    const jobFlags = parseJobFlags(options);
    const retry = parseCallFlags(options);
    const staleAsk = parseStaleAskPolicy(options.staleAsk);
    if (staleAsk === undefined) throw userError('invalid_option', `--stale-ask must be serve-stale, without or wait:<ms>, got "${options.staleAsk}"`);
    const repositoryRoots = (options.repositoriesRoot ?? []).map((root) => path.resolve(root));
    for (const root of repositoryRoots) if (!existsSync(root)) throw userError('invalid_option', `--repositories-root: no such folder ${root}`);
    const { bootstrapApiKey, createServerApp, startHttpServer } = await import('@sleeptime/service');
    const runtime = await openRuntime(globals, { showProgress: false, retry });
    const log = (line: string) => output.stderr(line);
    try {
      // Sleep jobs live in the store; one left by a previous process is picked up again.
      const jobs = await startJobsOnRuntime(runtime, { workers, ...jobFlags }, log);
      try {
        const issued = await bootstrapApiKey(runtime.store);
        if (issued !== undefined) {
          output.stdout(`Created tenant "${issued.tenant.name}" with API key (shown once, keep it):\n  ${issued.key}\n`);
          output.stdout(`Key id: ${issued.keyId} (revoke it with: sleeptime keys revoke ${issued.keyId})\n`);
        }
        // Ends the open event streams (the dashboard's live updates) at shutdown, so closing the server does not wait for them.
        const shutdown = new AbortController();
        const app = createServerApp({
          shutdown: shutdown.signal,
          store: runtime.store,
          model: runtime.loadModel,
          modelName: runtime.modelSpec,
          repositoryRoots,
          maxBodyBytes,
          maxContextBytes,
          maxContextsPerTenant,
          maxBytesPerTenant,
          maxSleepTokensPerTenantPerDay: jobFlags.maxSleepTokensPerTenantPerDay,
          rateLimit,
          staleAsk,
          triggers: { quietPeriodMs, everyAsks, everyAppends, onEnqueued: (job) => jobs.onEnqueued(job) },
        });
        const server = await startHttpServer(app, { port, host: options.host });
        const workersNote = workers === 0 ? 'no sleep workers here' : `${workers} sleep worker${workers === 1 ? '' : 's'}`;
        output.stdout(
          `sleeptime serving on ${server.url} (model ${runtime.modelSpec}; ${runtime.store.kind} store; ${jobs.queue} job queue, ${workersNote}; OpenAPI at ${server.url}/openapi.json; dashboard at ${server.url}/ui)\n`,
        );
        await Promise.race([untilStopSignal(), jobs.failure]);
        log('Shutting down: stopping the job workers and closing the server...\n');
        shutdown.abort();
        await server.close();
      } finally {
        // A run in flight is aborted and recorded as failed; its job goes back to the queue.
        await jobs.stop();
      }
    } finally {
      await runtime.close();
    }
  });
}
