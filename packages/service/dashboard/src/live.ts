/**
 * Live updates: one `GET /v1/events` stream per signed-in page, shared by every view through
 * `useLive`. A view re-reads what it shows when an event concerns it; every view re-reads
 * everything after a reconnection (events may have been missed meanwhile).
 */
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import type { LiveEvent } from './api-types.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface LiveHub {
  subscribe(listener: (event: LiveEvent | 'reconnected') => void): () => void;
  publish(event: LiveEvent | 'reconnected'): void;
}

export function createLiveHub(): LiveHub {
  const listeners = new Set<(event: LiveEvent | 'reconnected') => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(event) {
      for (const listener of [...listeners]) listener(event);
    },
  };
}

export const LiveContext = createContext<LiveHub>(createLiveHub());

/** Calls `onEvent` for every live event (and 'reconnected'); the latest `onEvent` is used. */
export function useLive(onEvent: (event: LiveEvent | 'reconnected') => void): void {
  const hub = useContext(LiveContext);
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => hub.subscribe((event) => latest.current(event)), [hub]);
}

/** A function that calls `action` once, `delayMs` after the last of a burst of calls. */
export function useDebounced(action: () => void, delayMs = 250): () => void {
  const latest = useRef(action);
  latest.current = action;
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return () => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => latest.current(), delayMs);
  };
}
