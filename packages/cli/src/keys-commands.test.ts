import { describe, expect, it } from 'vitest';
import { createServerApp } from '@sleeptime/service';
import { openStore } from '@sleeptime/core';
import { temporaryDirectory } from './cli-test-support.js';
import { main } from './main.js';

async function runInProcess(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await main(['node', 'sleeptime', ...args], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

interface ListedKey {
  keyId: string;
  tenant: string;
  tenantId: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

describe('sleeptime keys', () => {
  it('creates keys showing their id, lists them without keys or hashes, and revokes them once', async () => {
    const dataDir = await temporaryDirectory('keys');
    const keys = (...args: string[]) => runInProcess(['--data-dir', dataDir, 'keys', ...args]);

    const created = await keys('create', '--tenant', 'acme', '--label', 'laptop');
    expect(created.exitCode).toBe(0);
    const humanKeyId = /Key id: (k[0-9a-f]+) \(revoke it with: sleeptime keys revoke \1\)/.exec(created.stdout)?.[1];
    expect(humanKeyId).toBeDefined();
    const humanKey = /^ {2}(sk-sleeptime-\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect(humanKey).not.toBe('');

    const createdJson = await keys('create', '--tenant', 'acme', '--json');
    expect(createdJson.exitCode).toBe(0);
    const second = JSON.parse(createdJson.stdout) as { keyId: string; key: string; tenant: string; tenantId: string };
    expect(second).toMatchObject({ tenant: 'acme', keyId: expect.stringMatching(/^k[0-9a-f]+$/), key: expect.stringMatching(/^sk-sleeptime-/) });

    const listed = await keys('list', '--tenant', 'acme', '--json');
    expect(listed.exitCode).toBe(0);
    const rows = JSON.parse(listed.stdout) as ListedKey[];
    expect(rows.map((row) => ({ keyId: row.keyId, tenant: row.tenant, label: row.label, revokedAt: row.revokedAt }))).toEqual([
      { keyId: humanKeyId, tenant: 'acme', label: 'laptop', revokedAt: null },
      { keyId: second.keyId, tenant: 'acme', label: null, revokedAt: null },
    ]);
    for (const text of [listed.stdout, (await keys('list', '--tenant', 'acme')).stdout]) {
      expect(text).not.toContain(humanKey);
      expect(text).not.toContain(second.key);
      expect(text).not.toMatch(/[0-9a-f]{64}/);
    }

    // The key works against the API until it is revoked, then gets 401 at once.
    const store = await openStore({ kind: 'sqlite', dataDir });
    try {
      const app = createServerApp({ store, model: () => Promise.reject(new Error('no model in this test')) });
      const listContexts = (key: string) => Promise.resolve(app.request('/v1/contexts', { headers: { authorization: `Bearer ${key}` } }));
      expect((await listContexts(humanKey)).status).toBe(200);

      const revoked = await keys('revoke', humanKeyId ?? '');
      expect(revoked).toMatchObject({ exitCode: 0, stderr: '' });
      expect(revoked.stdout).toBe(`Revoked API key ${humanKeyId ?? ''} of tenant "acme"; requests with it are refused from now on.\n`);
      expect((await listContexts(humanKey)).status).toBe(401);
      expect((await listContexts(second.key)).status).toBe(200);
    } finally {
      await store.close();
    }

    const table = await keys('list', '--tenant', 'acme');
    expect(table.stdout).toMatch(new RegExp(`${humanKeyId ?? ''}\\s+laptop\\s+\\S+ \\S+\\s+revoked \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}`));
    expect(table.stdout).toMatch(new RegExp(`${second.keyId}\\s+\\S+ \\S+\\s+active`));

    // Revoking again changes nothing and says so.
    const firstRevokedAt = (JSON.parse((await keys('list', '--tenant', 'acme', '--json')).stdout) as ListedKey[])[0]?.revokedAt;
    expect(firstRevokedAt).toEqual(expect.any(String));
    const again = await keys('revoke', humanKeyId ?? '', '--json');
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ keyId: humanKeyId, tenant: 'acme', revokedAt: firstRevokedAt, alreadyRevoked: true });
    expect((await keys('revoke', humanKeyId ?? '')).stdout).toMatch(/^API key k[0-9a-f]+ of tenant "acme" was already revoked at .+ UTC\.\n$/);
  });

  it('fails with one line and exit code 1 on an unknown key or tenant', async () => {
    const dataDir = await temporaryDirectory('keys-errors');
    const keys = (...args: string[]) => runInProcess(['--data-dir', dataDir, 'keys', ...args]);

    const unknownKey = await keys('revoke', 'k0000');
    expect(unknownKey).toMatchObject({ exitCode: 1, stdout: '' });
    expect(unknownKey.stderr).toMatch(/^sleeptime: no API key with id "k0000".*\[api_key_not_found\]\n$/);

    const unknownKeyJson = await keys('revoke', 'k0000', '--json');
    expect(unknownKeyJson.exitCode).toBe(1);
    expect(JSON.parse(unknownKeyJson.stderr)).toMatchObject({ error: { code: 'api_key_not_found', category: 'user' } });

    const unknownTenant = await keys('list', '--tenant', 'nobody');
    expect(unknownTenant).toMatchObject({ exitCode: 1, stdout: '' });
    expect(unknownTenant.stderr).toBe('sleeptime: no tenant named "nobody" [tenant_not_found]\n');

    const emptyTenant = await keys('create', '--tenant', ' ');
    expect(emptyTenant.exitCode).toBe(1);
    expect(emptyTenant.stderr).toMatch(/--tenant must not be empty \[invalid_option\]/);
  });
});
