/**
 * Where a path an agent names really is, and whether a tool may touch it. Every repository tool
 * resolves its paths here first; nothing outside the worktree's root is ever opened:
 *
 * - paths are relative to the root, with forward slashes: absolute paths (`/etc/passwd`, `C:\x`,
 *   `~/x`), backslashes and NUL bytes are refused;
 * - `..` may not climb above the root (`src/../../x` is refused; `src/../README.md` is fine);
 * - no path component may be `.git` (any case): git's internals are not the agents' to read or write;
 * - symbolic links are followed on reads only when the real path of their target is inside the root
 *   (and not in a `.git`); on writes no symbolic link is followed at all, inside or out (the write is
 *   refused, naming the file the link points to when that is inside);
 * - for a path that does not exist yet (a new file), the real path of its nearest existing ancestor
 *   is what is checked.
 *
 * The agents have no tool that makes a symbolic link, so the links a worktree holds are the commit's
 * own, fixed when it was checked out: a check here cannot be raced by another tool call.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

/** A path a tool may not use, with the reason the model is told. */
export class SandboxPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxPathError';
  }
}

export type SandboxAccess = 'read' | 'write';

export interface SandboxPath {
  /** Where it is on disk (symbolic links inside the root resolved for reads). */
  absolute: string;
  /** Relative to the root, with forward slashes; `''` is the root itself. */
  relative: string;
  /** Whether something is there now. */
  exists: boolean;
}

const maxPathLength = 4096;

/** True when `candidate` is `root` or inside it (both absolute and normalized). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

/** The components of a relative path the agent wrote, checked for the rules above (no file system access). */
export function checkedRelativePath(requested: string): string {
  if (typeof requested !== 'string') throw new SandboxPathError('The path must be a string.');
  if (requested.length > maxPathLength) throw new SandboxPathError(`The path is longer than ${maxPathLength} characters.`);
  if (requested.includes('\0')) throw new SandboxPathError('The path contains a NUL byte.');
  if (requested.includes('\\')) throw new SandboxPathError(`Use forward slashes in paths: ${JSON.stringify(requested)}.`);
  if (requested.startsWith('/') || requested.startsWith('~') || /^[A-Za-z]:/.test(requested)) {
    throw new SandboxPathError(`Absolute paths are not allowed (${JSON.stringify(requested)}): give a path relative to the repository's root, such as src/index.ts.`);
  }
  const normalized = path.posix.normalize(requested === '' ? '.' : requested).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../')) throw new SandboxPathError(`${JSON.stringify(requested)} is outside the repository.`);
  const relative = normalized === '.' ? '' : normalized;
  if (relative.split('/').some(isGitComponent)) throw new SandboxPathError(`${JSON.stringify(requested)} is inside .git, which the tools do not open.`);
  return relative;
}

function isGitComponent(component: string): boolean {
  // `.GIT` on case-insensitive file systems; `.git.` and `.git ` are the same name on Windows.
  return /^\.git[. ]*$/i.test(component);
}

/**
 * Resolves `requested` against `root` (the worktree's real path) for `access`; throws a
 * {@link SandboxPathError} with a message for the model when the path may not be used.
 */
export async function resolveSandboxPath(root: string, requested: string, access: SandboxAccess): Promise<SandboxPath> {
  const relative = checkedRelativePath(requested);
  const components = relative === '' ? [] : relative.split('/');
  let current = root;
  for (let index = 0; index < components.length; index += 1) {
    const candidate = path.join(current, components[index] as string);
    let info;
    try {
      info = await lstat(candidate);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // `current` is the nearest existing ancestor, already checked: the rest would be made inside it.
        const absolute = path.join(current, ...components.slice(index));
        return { absolute, relative: toRelative(root, absolute), exists: false };
      }
      throw error;
    }
    if (info.isSymbolicLink()) {
      current = await followLink(root, candidate, requested, access);
      continue;
    }
    current = candidate;
  }
  return { absolute: current, relative: toRelative(root, current), exists: true };
}

async function followLink(root: string, link: string, requested: string, access: SandboxAccess): Promise<string> {
  let target: string | undefined;
  try {
    target = await realpath(link);
  } catch {
    // A dangling link: where it would lead is judged from its text.
    target = undefined;
  }
  const inside = target !== undefined && isInside(root, target) && !toRelative(root, target).split('/').some(isGitComponent);
  if (access === 'write') {
    const linkPath = toRelative(root, link);
    const hint = inside ? `; edit the file it points to, ${toRelative(root, target as string) || '.'}, instead` : '';
    throw new SandboxPathError(`${linkPath} is a symbolic link, and the tools do not write through links${hint}.`);
  }
  if (target === undefined) {
    const text = await readlink(link).catch(() => '?');
    const wouldBe = path.resolve(path.dirname(link), text);
    if (!isInside(root, wouldBe)) throw new SandboxPathError(`${JSON.stringify(requested)} leads through a symbolic link to outside the repository.`);
    throw new SandboxPathError(`${toRelative(root, link)} is a symbolic link to ${JSON.stringify(text)}, which does not exist.`);
  }
  if (!inside) throw new SandboxPathError(`${JSON.stringify(requested)} leads through a symbolic link to outside the repository.`);
  return target;
}

function toRelative(root: string, absolute: string): string {
  return path.relative(root, absolute).split(path.sep).join('/');
}
