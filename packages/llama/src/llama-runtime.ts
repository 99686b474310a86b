/** One node-llama-cpp runtime per process: loading the native binding twice wastes memory and time. */
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import { errorMessage, systemError } from '@sleeptime/core';

const KEPT_LOG_LINES = 20;
const recentLogLines: string[] = [];
let loggedLineCount = 0;

let runtime: Promise<Llama> | undefined;

/**
 * CPU only: sleeptime runs wherever Node runs, and GPU probes slow start-up on machines without one.
 * llama.cpp's error lines are kept (see llamaLogSince) rather than printed: sleeptime reports
 * failures as one typed error, and the log goes into its details.
 */
export function getLlamaRuntime(): Promise<Llama> {
  runtime ??= getLlama({
    gpu: false,
    logLevel: LlamaLogLevel.error,
    logger: (_level, message) => {
      recentLogLines.push(message.trim());
      loggedLineCount++;
      if (recentLogLines.length > KEPT_LOG_LINES) recentLogLines.shift();
    },
  }).catch((error: unknown) => {
    runtime = undefined; // let a later call try again
    throw systemError('llama_unavailable', `node-llama-cpp could not start: ${errorMessage(error)}`, error);
  });
  return runtime;
}

/** A mark to pass to llamaLogSince later. */
export function llamaLogMark(): number {
  return loggedLineCount;
}

/** The llama.cpp error lines logged since the mark (at most the last 20), oldest first. */
export function llamaLogSince(mark: number): string[] {
  return recentLogLines.slice(Math.max(0, recentLogLines.length - (loggedLineCount - mark)));
}
