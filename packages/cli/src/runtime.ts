import path from 'node:path';
import {
  createEngine,
  createModel,
  openStore,
  parseModelSpec,
  resolveModelSpec,
  storeConfigFrom,
  type Engine,
  type RetryOptions,
  type SleeptimeModel,
  type Store,
  type StoreConfig,
} from '@sleeptime/core';
import { modelOptionsFrom, type GlobalOptions } from './global-options.js';

export interface Runtime {
  store: Store;
  /** Where the store lives (the PostgreSQL URL is also Graphile Worker's database). */
  storeConfig: StoreConfig;
  engine: Engine;
  /** The model spec that sleep and ask will use. */
  modelSpec: string;
  /** Makes (or returns the already made) model. */
  loadModel(): Promise<SleeptimeModel>;
  close(): Promise<void>;
}

/**
 * Opens the store and prepares the engine. The model is made only when a command first needs it,
 * so `context put` never loads a model and `ask` on an unknown context fails before a download.
 */
export interface RuntimeOptions {
  showProgress?: boolean;
  /** The model's retry policy (serve and worker: --call-timeout-ms, --call-attempts). */
  retry?: Partial<RetryOptions>;
}

export async function openRuntime(options: GlobalOptions, runtimeOptions: RuntimeOptions = {}): Promise<Runtime> {
  const modelSpec = resolveModelSpec(options.model);
  // Checked before anything is opened so a bad spec writes nothing.
  parseModelSpec(modelSpec);
  const modelOptions = modelOptionsFrom(options);
  const storeConfig = storeConfigFrom({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
  const store = await openStore(storeConfig);
  let model: Promise<SleeptimeModel> | undefined;
  const loadModel = (): Promise<SleeptimeModel> => {
    model ??= createModel(modelSpec, {
      ...modelOptions,
      baseUrl: options.baseUrl,
      showProgress: runtimeOptions.showProgress ?? process.stderr.isTTY === true,
      ...(runtimeOptions.retry === undefined ? {} : { retry: runtimeOptions.retry }),
      // Precomputed prompt prefixes of a data folder's learned contexts live in that folder.
      ...(options.dataDir === undefined || options.dataDir.trim() === '' ? {} : { prefixStateDir: path.join(options.dataDir, 'prefix-states') }),
    });
    return model;
  };
  const engine = createEngine({ store, model: loadModel });
  return {
    store,
    storeConfig,
    engine,
    modelSpec,
    loadModel,
    async close() {
      if (model) await (await model.catch(() => undefined))?.close();
      await store.close();
    },
  };
}

export async function withRuntime<T>(
  options: GlobalOptions,
  work: (runtime: Runtime) => Promise<T>,
  runtimeOptions: { showProgress?: boolean } = {},
): Promise<T> {
  const runtime = await openRuntime(options, runtimeOptions);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
