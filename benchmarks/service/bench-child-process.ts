/**
 * The benchmark runs the upstream and the service in processes of their own, as they would be
 * deployed (and as `sleeptime serve` runs), so the load generator does not share their event loop.
 * This is the small IPC protocol between the benchmark (parent) and those processes (children):
 * the child reports `ready` with its details, answers named requests, and stops when asked or when
 * the parent goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';

type ParentMessage = { type: 'request'; id: number; name: string } | { type: 'stop' };
type ChildMessage =
  | { type: 'ready'; details: unknown }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; value?: unknown; error?: string };

export interface BenchChild<Ready> {
  ready: Ready;
  pid: number;
  /** Asks the child for something it answers (see `answerParent`). */
  request<Value>(name: string): Promise<Value>;
  stop(): Promise<void>;
}

/**
 * Forks `entry` (a .ts file: the child inherits the tsx loader from this process's exec arguments)
 * with `config` as its one argument, and waits for it to be ready. The child's stdout goes to our
 * stderr, so stdout keeps only the results.
 */
export function forkBenchChild<Ready>(entry: string, config: unknown, label: string): Promise<BenchChild<Ready>> {
  const child: ChildProcess = fork(entry, [JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  child.stdout?.pipe(process.stderr);
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) => {
      const error = new Error(`${label} process exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    };
    child.on('exit', onExit);
    child.on('message', (raw) => {
      const message = raw as ChildMessage;
      if (message.type === 'failed') {
        reject(new Error(`${label} process failed to start: ${message.message}`));
      } else if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(`${label}: ${message.error}`));
        else waiter?.resolve(message.value);
      } else if (message.type === 'ready') {
        resolve({
          ready: message.details as Ready,
          pid: child.pid ?? -1,
          request<Value>(name: string) {
            const id = nextId++;
            return new Promise<Value>((resolveRequest, rejectRequest) => {
              pending.set(id, { resolve: (value) => resolveRequest(value as Value), reject: rejectRequest });
              child.send({ type: 'request', id, name } satisfies ParentMessage);
            });
          },
          async stop() {
            child.off('exit', onExit);
            if (child.exitCode === null && child.signalCode === null) {
              child.send({ type: 'stop' } satisfies ParentMessage);
              // A child that does not stop in time is ended: a benchmark must not leave processes behind.
              const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
              await exited;
              clearTimeout(timer);
            }
          },
        });
      }
    });
  });
}

/** Child side: the config the parent passed. */
export function childConfig<Config>(): Config {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('this file is started by the service benchmark, not directly');
  return JSON.parse(raw) as Config;
}

/**
 * Child side: runs `start`, reports ready with its details, answers requests by name until the
 * parent says stop (or disconnects), then runs `stop` and exits.
 */
export async function answerParent<Details>(options: {
  start: () => Promise<Details>;
  handlers: Record<string, () => unknown>;
  stop: () => Promise<void>;
}): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  let details: Details;
  try {
    details = await options.start();
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await options.stop();
    process.disconnect?.();
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    if (message.type === 'stop') {
      void stop();
      return;
    }
    const handler = options.handlers[message.name];
    if (handler === undefined) {
      send({ type: 'reply', id: message.id, error: `no handler named ${message.name}` });
      return;
    }
    Promise.resolve()
      .then(handler)
      .then(
        (value) => send({ type: 'reply', id: message.id, value }),
        (error: unknown) => send({ type: 'reply', id: message.id, error: String(error) }),
      );
  });
  send({ type: 'ready', details });
}

/** CPU time this process has used so far, user + system, in milliseconds. */
export function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
