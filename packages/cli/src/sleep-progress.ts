import cliProgress from 'cli-progress';
import type { SleepProgressEvent } from '@sleeptime/core';

/** One bar per parallel sleep-time run, counting memory rewrites, on stderr. */
export function createSleepProgress(branches: number, maxRewrites: number): {
  update: (event: SleepProgressEvent) => void;
  stop: () => void;
} {
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' run {branch} [{bar}] {value}/{total} rewrites | {state}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const branchBars = Array.from({ length: branches }, (_, branch) => bars.create(maxRewrites, 0, { branch: branch + 1, state: 'waiting' }));
  return {
    update(event) {
      const bar = branchBars[event.branch];
      if (!bar) return;
      if (event.type === 'branch-started') bar.update(0, { state: 'thinking' });
      else if (event.type === 'rewrite') bar.update(event.rewrites, { state: 'thinking' });
      else if (event.type === 'branch-finished') bar.update(event.rewrites, { state: event.stopReason });
    },
    stop() {
      bars.stop();
    },
  };
}
