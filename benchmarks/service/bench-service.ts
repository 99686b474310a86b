/**
 * The service wired the way `sleeptime serve` wires it (src/cli/serve-command.ts): a SQLite store,
 * the engine's model, the embedded job queue with one worker in the process (woken by the triggers),
 * the Hono app on Node's HTTP server, and an API key. Only the model (the local scripted upstream) and the data folder (a temp
 * dir) are the benchmark's own.
 */
import { createEngine, errorMessage } from '@sleeptime/core';
import { startSleepJobProcessing, type SleepJobProcessing } from '@sleeptime/service';
import { defaultQuietPeriodMs } from '@sleeptime/service';
import { createModel } from '@sleeptime/core';
import type { SleeptimeModel } from '@sleeptime/core';
import { issueApiKey } from '@sleeptime/service';
import { createServerApp } from '@sleeptime/service';
import { startHttpServer, type RunningHttpServer } from '@sleeptime/service';
import { openStore } from '@sleeptime/core';
import type { Store, TenantRecord } from '@sleeptime/core';
import { benchModelSpec } from './bench-upstream.js';

/** Every URL the benchmark talks to must be on the loopback interface. */
export function requireLoopback(url: string): string {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`the benchmark only talks to 127.0.0.1, got ${url}`);
  return url;
}

/** The model both the service and the direct calls use: the project's model layer, retries included. */
export function createBenchModel(upstreamBaseUrl: string): Promise<SleeptimeModel> {
  // env: {} so no key or base URL from the environment is picked up (or sent anywhere).
  return createModel(benchModelSpec, { baseUrl: requireLoopback(upstreamBaseUrl), env: {} });
}

export interface BenchServiceOptions {
  dataDir: string;
  upstreamBaseUrl: string;
  quietPeriodMs?: number;
  everyAppends?: number;
}

export interface BenchService {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  apiKey: string;
  tenant: TenantRecord;
  store: Store;
  close(): Promise<void>;
}

export async function startBenchService(options: BenchServiceOptions): Promise<BenchService> {
  const store = await openStore({ kind: 'sqlite', dataDir: options.dataDir });
  const model = await createBenchModel(options.upstreamBaseUrl);
  let jobs: SleepJobProcessing | undefined;
  let server: RunningHttpServer | undefined;
  try {
    const engine = createEngine({ store, model });
    // Default poll interval, lease and retries, as in `sleeptime serve`.
    const startedJobs = await startSleepJobProcessing({
      store,
      engine,
      queue: 'embedded',
      workers: 1,
      onError: (error) => process.stderr.write(`job worker: ${errorMessage(error)}\n`),
    });
    jobs = startedJobs;
    const app = createServerApp({
      // The benchmark measures the service's own cost at thousands of asks a second from one key.
      rateLimit: false,
      store,
      model,
      triggers: {
        quietPeriodMs: options.quietPeriodMs ?? defaultQuietPeriodMs,
        everyAppends: options.everyAppends ?? 0,
        onEnqueued: (job) => startedJobs.onEnqueued(job),
      },
    });
    server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
    const issued = await issueApiKey(store, { tenantName: 'bench', label: 'service benchmark' });
    const running = server;
    return {
      url: requireLoopback(server.url),
      apiKey: issued.key,
      tenant: issued.tenant,
      store,
      async close() {
        await startedJobs.stop();
        await running.close();
        await store.close();
      },
    };
  } catch (error) {
    await jobs?.stop();
    await server?.close();
    await store.close();
    throw error;
  }
}
