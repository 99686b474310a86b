/**
 * `sleeptime keys create|list|revoke`: the API keys of the HTTP service (`sleeptime serve`). Keys
 * are stored hashed: `create` shows a key once, `list` shows ids, labels and states, never keys or
 * hashes, and `revoke` stops a key at once (the server checks the store on every request).
 */
import type { Command } from 'commander';
import { userError } from '@sleeptime/core';
import type { ApiKeyRecord, TenantRecord } from '@sleeptime/core';
import { formatTimestamp, printJson, renderTable } from './format.js';
import type { GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';
import { withRuntime } from './runtime.js';

function keyJson(key: ApiKeyRecord, tenant: TenantRecord | undefined) {
  return {
    keyId: key.id,
    tenant: tenant?.name ?? null,
    tenantId: key.tenantId,
    label: key.label,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

function tenantFlag(value: string): string {
  if (value.trim() === '') throw userError('invalid_option', '--tenant must not be empty');
  return value;
}

export function registerKeysCommands(program: Command, output: CliOutput): void {
  const keys = program.command('keys').description('manage API keys of the HTTP service');

  keys
    .command('create')
    .description('create an API key for a tenant (the tenant is created if new); the key is shown once')
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--label <label>', 'a note to recognise the key by')
    .action(async (options: { tenant: string; label?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const tenantName = tenantFlag(options.tenant);
      const { issueApiKey } = await import('@sleeptime/service');
      const issued = await withRuntime(globals, ({ store }) =>
        issueApiKey(store, { tenantName, ...(options.label === undefined ? {} : { label: options.label }) }),
      );
      if (globals.json) printJson(output, { tenant: issued.tenant.name, tenantId: issued.tenant.id, keyId: issued.keyId, key: issued.key });
      else {
        output.stdout(`API key for tenant "${issued.tenant.name}" (shown once, keep it):\n  ${issued.key}\n`);
        output.stdout(`Key id: ${issued.keyId} (revoke it with: sleeptime keys revoke ${issued.keyId})\n`);
      }
    });

  keys
    .command('list')
    .description("list a tenant's API keys (ids, labels, states; never the keys)")
    .requiredOption('--tenant <name>', 'tenant name')
    .action(async (options: { tenant: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const tenantName = tenantFlag(options.tenant);
      const { listApiKeys } = await import('@sleeptime/service');
      const { tenant, keys: records } = await withRuntime(globals, ({ store }) => listApiKeys(store, tenantName));
      if (globals.json) printJson(output, records.map((record) => keyJson(record, tenant)));
      else if (records.length === 0) output.stdout(`Tenant "${tenant.name}" has no API keys: add one with sleeptime keys create --tenant ${tenant.name}\n`);
      else {
        const rows = records.map((record) => [
          record.id,
          record.label ?? '',
          formatTimestamp(record.createdAt),
          record.revokedAt === null ? 'active' : `revoked ${formatTimestamp(record.revokedAt)}`,
        ]);
        output.stdout(`${renderTable(['key id', 'label', 'created (UTC)', 'state'], rows)}\n`);
      }
    });

  keys
    .command('revoke <keyId>')
    .description('revoke an API key: requests with it are refused from now on (revoking again changes nothing)')
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const startedAt = Date.now();
      const { revokeApiKey } = await import('@sleeptime/service');
      const { key: record, tenant } = await withRuntime(globals, ({ store }) => revokeApiKey(store, keyId));
      const revokedAt = record.revokedAt ?? new Date(startedAt);
      // The store keeps the first revocation time: an earlier one means it was revoked before.
      const alreadyRevoked = revokedAt.getTime() < startedAt;
      if (globals.json) printJson(output, { ...keyJson(record, tenant), alreadyRevoked });
      else {
        const owner = tenant === undefined ? '' : ` of tenant "${tenant.name}"`;
        output.stdout(
          alreadyRevoked
            ? `API key ${record.id}${owner} was already revoked at ${formatTimestamp(revokedAt)} UTC.\n`
            : `Revoked API key ${record.id}${owner}; requests with it are refused from now on.\n`,
        );
      }
    });
}
