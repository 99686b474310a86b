/**
 * Runs tasks one at a time, in arrival order. One llama context sequence can only evaluate one
 * prompt at a time, and the AI SDK may call a model from several places at once.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  /** A caller whose signal aborts while it waits is rejected at once and its task never runs. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    return (async () => {
      try {
        await waitUnlessAborted(previous, signal);
        signal?.throwIfAborted();
        return await task();
      } finally {
        // An aborted waiter gives its turn away only once the task ahead of it is done.
        void previous.then(release);
      }
    })();
  }
}

function waitUnlessAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
