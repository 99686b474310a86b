/**
 * Runs the `git` command: `spawn` without a shell (arguments are never parsed by one), with a
 * bounded output, a time limit and an abort signal. Everything sleeptime does with repositories
 * goes through here, so that a missing git, a refused command or a runaway one each fail the same
 * way: one line naming the command, with a stable code.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SleeptimeError, systemError, userError } from '../errors.js';

export interface GitOptions {
  /** The folder git runs in (`-C` is not used: arguments stay as given). */
  cwd?: string;
  /** Extra environment variables, on top of this process's and the fixed ones below. */
  env?: Record<string, string>;
  /** Written to git's standard input, then closed. */
  input?: string;
  /** The most bytes of standard output kept (default 64 MiB). */
  maxOutputBytes?: number;
  /**
   * What happens past `maxOutputBytes`: `fail` (default) throws `git_output_too_large`; `truncate`
   * stops git and returns what came so far with `truncated: true` (a bounded search).
   */
  onOverflow?: 'fail' | 'truncate';
  /** Exit codes taken as success besides 0 (`git grep` exits 1 when nothing matches). */
  okExitCodes?: readonly number[];
  /** Default 120 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GitResult {
  stdout: string;
  exitCode: number;
  /** Standard output was cut at `maxOutputBytes` (with `onOverflow: 'truncate'`). */
  truncated: boolean;
}

const defaultMaxOutputBytes = 64 * 1024 * 1024;
const defaultTimeoutMs = 120_000;
const maxStderrBytes = 16 * 1024;

// Git never asks for credentials or opens an editor or a pager here, and takes no optional locks
// on a repository it only reads (a `git status` would otherwise refresh the user's index).
const fixedEnvironment: Record<string, string> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_OPTIONAL_LOCKS: '0',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  GIT_EDITOR: 'true',
  LC_ALL: 'C',
};

/**
 * Runs `git <args>`. A non-zero exit (outside `okExitCodes`) throws `git_failed` (category `system`;
 * callers that know the input was at fault say so themselves) with git's last lines of standard
 * error in the message and in `details.gitMessage`.
 */
export function runGit(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const maxOutputBytes = options.maxOutputBytes ?? defaultMaxOutputBytes;
  const command = `git ${args.join(' ')}`.slice(0, 200);
  return new Promise<GitResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason ?? new Error('aborted'));
      return;
    }
    const child = spawn('git', [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...fixedEnvironment, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    let stderr = '';
    let settled = false;
    let failure: Error | undefined;

    const stop = (error?: Error) => {
      if (error !== undefined && failure === undefined) failure = error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(systemError('git_timeout', `${command} took longer than ${Math.round((options.timeoutMs ?? defaultTimeoutMs) / 1000)} s and was stopped.`)), options.timeoutMs ?? defaultTimeoutMs);
    const onAbort = () => stop(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      if (truncated || failure !== undefined) return;
      const room = maxOutputBytes - bytes;
      if (chunk.length <= room) {
        chunks.push(chunk);
        bytes += chunk.length;
        return;
      }
      if (options.onOverflow === 'truncate') {
        chunks.push(chunk.subarray(0, room));
        bytes += room;
        truncated = true;
        stop();
      } else {
        stop(systemError('git_output_too_large', `${command} printed more than ${maxOutputBytes} bytes.`));
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < maxStderrBytes) stderr += chunk.toString('utf8');
    });
    if (options.input !== undefined && child.stdin !== null) {
      // git may exit before reading everything (a bad argument): that is reported by its exit code.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }

    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(() =>
        reject(
          error.code === 'ENOENT' && options.cwd !== undefined && !existsSync(options.cwd)
            ? userError('directory_not_found', `No such folder: ${options.cwd}`, { path: options.cwd })
            : error.code === 'ENOENT'
            ? userError('git_not_found', 'git is not installed or not on the PATH; sleeptime needs it to read repositories.')
            : systemError('git_failed', `${command} could not start: ${error.message}`, error),
        ),
      );
    });
    child.on('close', (code) => {
      finish(() => {
        if (failure !== undefined) return reject(failure);
        const stdout = Buffer.concat(chunks).toString('utf8');
        const exitCode = code ?? -1;
        if (truncated || exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
          resolve({ stdout, exitCode, truncated });
          return;
        }
        const message = stderr.trim().split('\n').filter((line) => line.trim() !== '').slice(-3).join(' ') || `exit code ${exitCode}`;
        reject(new SleeptimeError({ code: 'git_failed', category: 'system', message: `${command} failed: ${message}`, details: { exitCode, gitMessage: message } }));
      });
    });
  });
}
