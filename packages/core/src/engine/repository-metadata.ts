/**
 * Repository contexts: a context whose metadata names a git repository under the reserved key
 * `repository` (`{ path, ref, commit }`: the repository's top level, the ref it follows and the
 * commit its text was rendered from; `sleeptime context put NAME --repo PATH` writes it). A sleep
 * on such a context explores a throwaway worktree of that commit with the read-only repository
 * tools, under the `repository` prompt style (sleep-run.ts).
 *
 * Which repositories an engine may be pointed at is its `repositoryAccess`: `any` for a local user
 * (the CLI, a library), or a list of root folders (a server: tenants must not make it read an
 * arbitrary path on its machine), checked on every put that sets the key and again before a sleep,
 * on the real path (symbolic links resolved). Kept apart from the repository module: the engine's
 * writes use it, and must not load the AI SDK.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { userError } from '../errors.js';

/** The metadata key of a repository context: reserved, its value checked on every put. */
export const repositoryMetadataKey = 'repository';

export const repositoryMetadataSchema = z.object({
  /** The repository's top level (or a bare repository's folder): an absolute path. */
  path: z.string().min(1).max(4096).refine((value) => path.isAbsolute(value), 'path must be absolute'),
  /** The ref the context follows (`HEAD`, a branch): what `sleeptime watch` polls. */
  ref: z.string().min(1).max(256),
  /** The full SHA of the commit the context's text was rendered from; a sleep explores this commit. */
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'commit must be a full hexadecimal SHA'),
});

export type RepositoryMetadata = z.infer<typeof repositoryMetadataSchema>;

/**
 * Which repositories contexts may name: `any`, or only those inside one of `roots` (none: no
 * repository contexts at all). Default `any`; the HTTP service passes its `--repositories-root`
 * folders, or none.
 */
export type RepositoryAccess = 'any' | { roots: readonly string[] };

/** The repository a context's metadata names, or undefined; `invalid_metadata` when the reserved key holds something else. */
export function repositoryOfMetadata(metadata: Record<string, unknown> | null | undefined): RepositoryMetadata | undefined {
  if (metadata === null || metadata === undefined || !Object.hasOwn(metadata, repositoryMetadataKey)) return undefined;
  const parsed = repositoryMetadataSchema.safeParse(metadata[repositoryMetadataKey]);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `.${issue.path.join('.')}`;
  throw userError(
    'invalid_metadata',
    `metadata.${repositoryMetadataKey}${where} is invalid (${issue?.message ?? 'not an object'}): the key is reserved for repository contexts, { path, ref, commit }`,
    { field: `metadata.${repositoryMetadataKey}` },
  );
}

/**
 * Checks that `access` allows the repository at `repositoryPath`; returns its real path. Under
 * `any` nothing is checked here (a missing folder fails when a sleep makes its worktree).
 */
export async function checkRepositoryAccess(access: RepositoryAccess, repositoryPath: string): Promise<string> {
  if (access === 'any') return repositoryPath;
  if (access.roots.length === 0) {
    throw userError('repository_not_allowed', 'Repository contexts are not allowed here: the server takes them only under its --repositories-root folders, and it has none', {
      field: `metadata.${repositoryMetadataKey}.path`,
    });
  }
  let real: string;
  try {
    real = await realpath(repositoryPath);
  } catch {
    // Said the same way as a folder outside the roots: a tenant learns nothing of the server's disk.
    throw notAllowed();
  }
  for (const root of access.roots) {
    const realRoot = await realpath(root).catch(() => undefined);
    if (realRoot === undefined) continue;
    const relative = path.relative(realRoot, real);
    if (relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))) return real;
  }
  throw notAllowed();
}

function notAllowed() {
  return userError('repository_not_allowed', 'metadata.repository.path is not an existing folder under one of the server\'s repositories roots', {
    field: `metadata.${repositoryMetadataKey}.path`,
  });
}
