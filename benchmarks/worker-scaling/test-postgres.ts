/** The PostgreSQL server the benchmark creates its databases on: the tests' one, started if needed. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { postgresTestUrlVariable } from '@sleeptime/core/testing';

const startScript = fileURLToPath(new URL('../../scripts/start-test-postgres.sh', import.meta.url));

/**
 * SLEEPTIME_TEST_DATABASE_URL when it is set, else the URL `scripts/start-test-postgres.sh` prints as
 * its last line (it starts a local server, or reuses a running one). Fails with one line saying why.
 */
export interface TestPostgres {
  url: string;
  /** e.g. "PostgreSQL 15", as the script reports it; undefined for a server given by URL. */
  version: string | undefined;
}

export function testPostgresUrl(): Promise<TestPostgres> {
  const given = process.env[postgresTestUrlVariable]?.trim();
  if (given !== undefined && given !== '') return Promise.resolve({ url: given, version: undefined });
  return new Promise((resolve, reject) => {
    execFile('bash', [startScript], { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      const url = last.startsWith(`${postgresTestUrlVariable}=`) ? last.slice(postgresTestUrlVariable.length + 1) : undefined;
      if (error === null && url !== undefined) {
        resolve({ url, version: /ready: (PostgreSQL \S+)/.exec(stderr)?.[1] });
        return;
      }
      const why = stderr.trim().split('\n').at(-1) ?? error?.message ?? 'no URL printed';
      reject(new Error(`could not start PostgreSQL with scripts/start-test-postgres.sh: ${why}`));
    });
  });
}
