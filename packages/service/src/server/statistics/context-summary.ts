/**
 * What a list of contexts shows of each beside its version and size: its learned context (how many
 * versions, fresh or stale), its last sleep run and the asks it answered, from the context's
 * statistics (see `engine.contextStatistics`).
 */
import type { ContextRecord, ContextStatistics } from '@sleeptime/core';

export interface ContextActivity {
  learned: { versions: number; sourceVersion: number; fresh: boolean; createdAt: string } | null;
  lastSleep: { status: 'running' | 'succeeded' | 'failed'; startedAt: string } | null;
  /** Asks answered (succeeded), with or without the learned context. */
  asks: number;
}

export function contextActivity(record: ContextRecord, statistics: ContextStatistics | undefined): ContextActivity {
  const learned = statistics?.learned ?? null;
  const sleeps = (statistics?.runs ?? []).filter((group) => group.kind === 'sleep');
  const latestSleep = sleeps.reduce<(typeof sleeps)[number] | undefined>((latest, group) => (latest === undefined || group.lastStartedAt > latest.lastStartedAt ? group : latest), undefined);
  return {
    learned:
      learned === null
        ? null
        : { versions: learned.versions, sourceVersion: learned.latestSourceVersion, fresh: learned.latestSourceVersion === record.version, createdAt: learned.latestCreatedAt.toISOString() },
    lastSleep: latestSleep === undefined ? null : { status: latestSleep.status, startedAt: latestSleep.lastStartedAt.toISOString() },
    asks: (statistics?.runs ?? []).filter((group) => group.kind === 'ask' && group.status === 'succeeded').reduce((total, group) => total + group.runs, 0),
  };
}
