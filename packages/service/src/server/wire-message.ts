/**
 * What a client may read of an error message: no stored ids (the tenant's prefix is taken out) and,
 * for upstream and system failures, no addresses (URLs, IPs, host:port, resolver host names). The
 * server log keeps the full message; the client keeps the code.
 */
import type { SleeptimeError } from '@sleeptime/core';
import type { TenantScope } from '../tenancy/tenant-scope.js';

const hidden = '[address hidden]';

const addressPatterns: RegExp[] = [
  // URLs of any scheme (http://, postgres://...), credentials included.
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi,
  // Node's resolver failures name the host: `getaddrinfo ENOTFOUND llm.internal`.
  /(?<=\b(?:getaddrinfo|querySrv|queryA|queryAaaa) [A-Z_]+ )[^\s"',;)]+/g,
  // IPv4 with an optional port.
  /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g,
  // IPv6, bracketed or bare (`connect ECONNREFUSED ::1:8080`: full, or compressed with `::`), with an optional port.
  /\[[0-9a-f:.]*:[0-9a-f:.]*\](?::\d{1,5})?/gi,
  /(?<![\w:.])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?)(?::\d{1,5})?(?![\w:])/gi,
  // host:port (`localhost:8080`, `llm.internal:443`).
  /\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*:\d{1,5}\b/gi,
];

/** The message with every upstream address replaced. */
export function withoutAddresses(message: string): string {
  return addressPatterns.reduce((text, pattern) => text.replace(pattern, hidden), message);
}

/** An engine error's message as a client sees it (see the file comment). */
export function wireErrorMessage(error: SleeptimeError, scope?: TenantScope): string {
  const message = scope === undefined ? error.message : scope.wireMessage(error.message);
  return error.category === 'user' ? message : withoutAddresses(message);
}

/** A run's or job's recorded error as a client sees it: recorded failures are mostly the upstream's, so addresses go too. */
export function wireRunError<Recorded extends { message: string }>(error: Recorded | null, scope: TenantScope): Recorded | null {
  return error === null ? null : { ...error, message: withoutAddresses(scope.wireMessage(error.message)) };
}
