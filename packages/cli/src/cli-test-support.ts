import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@sleeptime/core/testing';

const binPath = fileURLToPath(new URL('../bin/sleeptime.js', import.meta.url));

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

/** A long-running `bin/sleeptime.js` child (serve, worker) whose output the test reads as it comes. */
export interface CliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** The exit code; null when a signal ended it. */
  exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in stdout; fails on timeout or an early exit. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export function startCliProcess(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [binPath, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStdout(pattern, timeoutMs = 60_000) {
      return waitFor(
        `\`sleeptime ${args.join(' ')}\` to print ${pattern}`,
        () => {
          const match = pattern.exec(stdout);
          if (match !== null) return match;
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`\`sleeptime ${args.join(' ')}\` exited before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`);
          return undefined;
        },
        { timeoutMs, intervalMs: 50, details: () => `stdout: ${stdout}\nstderr: ${stderr}` },
      );
    },
  };
}
