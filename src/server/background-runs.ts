/**
 * Sleep runs started over HTTP run in this process, in the background. This is the first slice:
 * a run in flight is lost if the process dies (its row stays `running`); durable jobs come later.
 */
export interface BackgroundRuns {
  /** Tracks a run; its abort signal fires on `stop`. */
  start(work: (signal: AbortSignal) => Promise<unknown>): void;
  /** How many runs are in flight. */
  readonly size: number;
  /** Aborts every run in flight and waits for them to settle (the engine marks them failed). */
  stop(): Promise<void>;
  /** Waits until no run is in flight (tests). */
  idle(): Promise<void>;
}

export function createBackgroundRuns(): BackgroundRuns {
  const inFlight = new Map<Promise<unknown>, AbortController>();
  return {
    start(work) {
      const controller = new AbortController();
      // The run's outcome is in the store; a rejection here has been recorded there already.
      const promise: Promise<unknown> = work(controller.signal)
        .catch(() => undefined)
        .finally(() => inFlight.delete(promise));
      inFlight.set(promise, controller);
    },
    get size() {
      return inFlight.size;
    },
    async stop() {
      for (const controller of inFlight.values()) controller.abort(new Error('server shutting down'));
      await Promise.allSettled([...inFlight.keys()]);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.keys()]);
    },
  };
}
