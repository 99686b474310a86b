import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const binPath = fileURLToPath(new URL('../../bin/sleeptime.js', import.meta.url));

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/sleeptime.js` as a real child process, with only the environment it is given. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [binPath, ...args],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ exitCode, stdout, stderr });
      },
    );
  });
}

export function parseJson<T = Record<string, unknown>>(run: CliRun): T {
  if (run.exitCode !== 0) throw new Error(`CLI failed (${run.exitCode}): ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

export function temporaryDirectory(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `sleeptime-${label}-`));
}
