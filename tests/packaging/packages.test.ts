/**
 * What a new user gets from npm: the workspace packages are packed (`npm pack`, as `npm publish`
 * would), and the tarballs are installed in fresh npm projects under the OS temp folder, outside the
 * repository (no symlinks into it, no NODE_PATH, no node_modules above them). There:
 * - a plain Node ESM script (the README's library example, with the base URL from LLM_BASE_URL and
 *   a line that prints the result) runs putContext / sleep / ask on `@sleeptime/core` against a
 *   scripted OpenAI-compatible server;
 * - a TypeScript consumer type-checks against the published declarations with strict settings;
 * - the core install has no node-llama-cpp, vega or graphile-worker;
 * - the `sleeptime` CLI (with the `@sleeptime/*` tarballs it needs) answers --help and context list.
 * Needs a build (`npm run test:packages` builds first) and the npm registry (or a warm npm cache).
 * SLEEPTIME_PACKAGING_KEEP=1 keeps the temporary folder and prints its path.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as CoreTesting from '@sleeptime/core/testing';
import type { RecordedRequest, ScriptedOpenAIServer, ScriptedReply } from '@sleeptime/core/testing';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const packageFolders = ['packages/core', 'packages/llama', 'packages/service', 'packages/bench', 'packages/cli'];
const installTimeoutMs = 12 * 60_000;

// ---------------------------------------------------------------------------------------------------
// Child processes, isolated from the workspace

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Variables `npm run` and Vitest set that could tie a child npm or node to the workspace, and
 * sleeptime's own settings (a developer's SLEEPTIME_DATA_DIR or SLEEPTIME_MODEL must not leak in).
 */
function isWorkspaceVariable(name: string): boolean {
  return (
    /^npm_(package_|lifecycle_|command$|config_(local_prefix|prefix|workspaces?|include_workspace_root|global)$)/i.test(name) ||
    /^(INIT_CWD|NODE_PATH|NODE_OPTIONS|NODE_ENV|VITEST.*|TSX_.*|SLEEPTIME_.*)$/.test(name)
  );
}

/** The environment without the workspace: no npm_package_* / NODE_PATH, no node_modules/.bin of the repository on PATH. */
function isolatedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!isWorkspaceVariable(name)) env[name] = value;
  const root = path.resolve(repoRoot);
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((entry) => entry !== '' && !path.resolve(entry).startsWith(root + path.sep) && path.resolve(entry) !== root)
    .join(path.delimiter);
  return { ...env, ...extra };
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? isolatedEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // npm runs install scripts (node-gyp, compilers) in children of its own: end the whole group.
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The beginning and the end of long output: the first error and the last words both matter. */
function abridged(text: string, limit = 8000): string {
  return text.length <= limit ? text : `${text.slice(0, limit / 2)}\n[... ${text.length - limit} characters ...]\n${text.slice(-limit / 2)}`;
}

function describeRun(what: string, result: CommandResult): string {
  return `${what} exited with ${result.code}\n--- stdout\n${abridged(result.stdout)}\n--- stderr\n${abridged(result.stderr)}`;
}

function expectSuccess(what: string, result: CommandResult): void {
  expect(result.code, describeRun(what, result)).toBe(0);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------------
// Tarballs

interface PackedPackage {
  name: string;
  version: string;
  tarball: string;
  /** Paths inside the tarball, without the leading `package/`. */
  files: string[];
  manifest: PackageManifest;
}

interface PackageManifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
}

async function packWorkspaces(destination: string): Promise<Map<string, PackedPackage>> {
  const args = ['pack', ...packageFolders.flatMap((folder) => ['--workspace', folder]), '--pack-destination', destination, '--json'];
  const result = await run('npm', args, { cwd: repoRoot, timeoutMs: 5 * 60_000 });
  expectSuccess('npm pack (did `npm run build` run?)', result);
  const packed = JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as { name: string; version: string; filename: string }[];
  const packages = new Map<string, PackedPackage>();
  for (const entry of packed) {
    const tarball = path.join(destination, entry.filename);
    // The tarball itself, not npm's report of it.
    const listing = await run('tar', ['-tzf', tarball], { cwd: destination });
    expectSuccess(`tar -tzf ${entry.filename}`, listing);
    const files = listing.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/^package\//, ''));
    const manifestText = await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: destination });
    expectSuccess(`reading package.json from ${entry.filename}`, manifestText);
    packages.set(entry.name, { name: entry.name, version: entry.version, tarball, files, manifest: JSON.parse(manifestText.stdout) as PackageManifest });
  }
  return packages;
}

/** Everything wrong with one tarball's contents, as readable lines (empty when it is fine). */
function tarballProblems(packed: PackedPackage): string[] {
  const problems: string[] = [];
  const files = new Set(packed.files);
  const problem = (text: string) => problems.push(`${packed.name}: ${text}`);
  for (const required of ['package.json', 'README.md', 'LICENSE']) if (!files.has(required)) problem(`no ${required}`);
  const javascript = packed.files.filter((file) => file.startsWith('dist/') && file.endsWith('.js'));
  const declarations = packed.files.filter((file) => file.startsWith('dist/') && file.endsWith('.d.ts'));
  if (javascript.length === 0) problem('no compiled dist/**/*.js');
  if (declarations.length === 0) problem('no dist/**/*.d.ts');
  for (const file of packed.files) {
    if (file === 'src' || file.startsWith('src/') || file.includes('/src/')) problem(`ships sources: ${file}`);
    if (/\.test\.|\.test-child\.|-test-support\./.test(path.basename(file))) problem(`ships a test file: ${file}`);
    if (file.endsWith('.tsbuildinfo')) problem(`ships a build info file: ${file}`);
  }
  // Every entry point the manifest names exists (the "@sleeptime/source" condition is for the workspace only).
  for (const [entry, target] of Object.entries(packed.manifest.exports ?? {})) {
    const targets = typeof target === 'string' ? { default: target } : target;
    for (const [condition, file] of Object.entries(targets)) {
      if (condition === '@sleeptime/source') continue;
      if (!files.has(path.posix.normalize(file))) problem(`exports["${entry}"].${condition} names ${file}, which is not in the tarball`);
    }
  }
  for (const [command, file] of Object.entries(packed.manifest.bin ?? {})) {
    if (!files.has(path.posix.normalize(file))) problem(`bin ${command} names ${file}, which is not in the tarball`);
  }
  // tsc-compiled packages: each module has its declaration (the CLI is bundled; its exports are checked above).
  if (packed.name !== 'sleeptime') {
    for (const file of javascript) {
      const declaration = file.replace(/\.js$/, '.d.ts');
      if (!files.has(declaration)) problem(`${file} has no ${declaration}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Fresh consumer projects

async function rootDevDependencyVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const version = manifest.devDependencies[name];
  if (version === undefined) throw new Error(`the root package.json has no devDependency ${name}`);
  return version;
}

/** An empty npm project, as `npm init` makes it, with the install scripts our dependencies need allowed (npm 11 `allowScripts`). */
async function createProject(folder: string, extra: Record<string, unknown> = {}): Promise<void> {
  await mkdir(folder, { recursive: true });
  const manifest = { name: path.basename(folder), version: '1.0.0', private: true, type: 'module', ...extra };
  await writeFile(path.join(folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function npmInstall(project: string, specs: string[], flags: string[], extraEnv: Record<string, string> = {}): Promise<CommandResult> {
  // --prefer-offline: the npm cache that `npm ci` filled serves nearly everything.
  return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...flags, ...specs], {
    cwd: project,
    env: isolatedEnv(extraEnv),
    timeoutMs: installTimeoutMs,
  });
}

interface InstalledNode {
  version?: string;
  dependencies?: Record<string, InstalledNode>;
}

/** Every installed package in `npm ls --all --json` (an optional peer that is not installed shows as `{}`). */
async function installedPackageNames(project: string): Promise<Set<string>> {
  const result = await run('npm', ['ls', '--all', '--json'], { cwd: project });
  const tree = JSON.parse(result.stdout) as InstalledNode;
  const names = new Set<string>();
  const visit = (node: InstalledNode) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (child.version !== undefined) names.add(name);
      visit(child);
    }
  };
  visit(tree);
  return names;
}

// ---------------------------------------------------------------------------------------------------
// The scripted model: one rethink_memory call, one finish_rethinking call, then answers

const learnedMemory = 'Ana pays 3 x $2 = $6 and gets $10 - $6 = $4 back. Likely question: her change -> 4.';
const rethinkUsage = { prompt_tokens: 101, completion_tokens: 23, reasoning_tokens: 7 };
const finishUsage = { prompt_tokens: 140, completion_tokens: 5, reasoning_tokens: 2 };
const answerUsage = { prompt_tokens: 211, completion_tokens: 13, reasoning_tokens: 3 };

function scriptedModel(request: RecordedRequest): ScriptedReply {
  const hasTools = (request.body.tools?.length ?? 0) > 0;
  if (!hasTools) return { text: 'Ana gets $4 back. The answer is 4.', usage: answerUsage };
  const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
  if (!afterToolResult) return { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: learnedMemory } }], usage: rethinkUsage };
  return { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: finishUsage };
}

// ---------------------------------------------------------------------------------------------------

describe('the npm packages, installed from their tarballs in fresh projects', () => {
  let workDir: string;
  let packages: Map<string, PackedPackage>;
  let coreProject: string;
  let cliProject: string;
  let coreInstall: CommandResult;
  let cliInstall: CommandResult;
  let server: ScriptedOpenAIServer | undefined;

  function packed(name: string): PackedPackage {
    const found = packages.get(name);
    if (found === undefined) throw new Error(`npm pack made no tarball for ${name}`);
    return found;
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-packaging-'));
    // Node and npm walk up from a project: nothing above it may be a package or hold node_modules.
    expect(path.relative(repoRoot, workDir).startsWith('..'), 'the projects must be outside the repository').toBe(true);
    for (let folder = path.dirname(workDir); ; folder = path.dirname(folder)) {
      expect(existsSync(path.join(folder, 'node_modules')), `${folder}/node_modules would be visible to the projects`).toBe(false);
      expect(existsSync(path.join(folder, 'package.json')), `${folder}/package.json would be the projects' workspace root`).toBe(false);
      if (path.dirname(folder) === folder) break;
    }

    const tarballs = path.join(workDir, 'tarballs');
    await mkdir(tarballs);
    const packStarted = performance.now();
    packages = await packWorkspaces(tarballs);
    console.log(`npm pack: ${[...packages.values()].map((entry) => path.basename(entry.tarball)).join(', ')} in ${seconds(performance.now() - packStarted)}`);

    const [typescriptVersion, nodeTypesVersion] = await Promise.all([rootDevDependencyVersion('typescript'), rootDevDependencyVersion('@types/node')]);
    coreProject = path.join(workDir, 'core-consumer');
    cliProject = path.join(workDir, 'cli-consumer');
    await createProject(coreProject, {
      devDependencies: { typescript: typescriptVersion, '@types/node': nodeTypesVersion },
      allowScripts: { 'better-sqlite3': true },
    });
    await createProject(cliProject, { allowScripts: { 'better-sqlite3': true, 'node-llama-cpp': true } });

    // Both installs at once: each may compile better-sqlite3 from source.
    [coreInstall, cliInstall] = await Promise.all([
      npmInstall(coreProject, [packed('@sleeptime/core').tarball], []),
      // The CLI needs @sleeptime/llama (for llama: models, loaded on demand), which needs
      // @sleeptime/core: neither is on the registry, so their tarballs come along. --omit=optional
      // leaves out node-llama-cpp's prebuilt GPU/CPU binaries (hundreds of MB), and
      // NODE_LLAMA_CPP_SKIP_DOWNLOAD its postinstall build: HTTP models and --help need neither.
      npmInstall(
        cliProject,
        [packed('@sleeptime/core').tarball, packed('@sleeptime/llama').tarball, packed('sleeptime').tarball],
        ['--omit=optional'],
        { NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
      ),
    ]);
    console.log(`npm install @sleeptime/core (+ typescript, @types/node): ${seconds(coreInstall.ms)}; npm install sleeptime: ${seconds(cliInstall.ms)}`);
  });

  afterAll(async () => {
    await server?.close();
    if (workDir === undefined) return;
    if (process.env.SLEEPTIME_PACKAGING_KEEP === '1') console.log(`kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  });

  it('packs compiled JavaScript with declarations, README.md and LICENSE, and no sources or tests', () => {
    expect([...packages.keys()].sort()).toEqual(['@sleeptime/bench', '@sleeptime/core', '@sleeptime/llama', '@sleeptime/service', 'sleeptime']);
    expect([...packages.values()].flatMap(tarballProblems)).toEqual([]);
  });

  it('runs the library example in plain Node ESM against an OpenAI-compatible server', async () => {
    expectSuccess('npm install <@sleeptime/core tarball>', coreInstall);
    // The scripted server comes from the installed package's public testing entry, not from the workspace.
    const testingEntry = createRequire(path.join(coreProject, 'package.json')).resolve('@sleeptime/core/testing');
    expect(testingEntry.startsWith(path.join(coreProject, 'node_modules') + path.sep)).toBe(true);
    const testing = (await import(pathToFileURL(testingEntry).href)) as typeof CoreTesting;
    server = await testing.startScriptedOpenAIServer(scriptedModel);

    await copyFile(path.join(fixtures, 'library-example.mjs'), path.join(coreProject, 'library-example.mjs'));
    const result = await run(process.execPath, ['library-example.mjs'], { cwd: coreProject, env: isolatedEnv({ LLM_BASE_URL: server.baseUrl }), timeoutMs: 60_000 });
    expectSuccess('node library-example.mjs', result);
    console.log(`node library-example.mjs: ${Math.round(result.ms)} ms`);

    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(printed).toEqual({
      answer: 'Ana gets $4 back. The answer is 4.',
      final: '4',
      fresh: true,
      usage: { inputTokens: answerUsage.prompt_tokens, outputTokens: answerUsage.completion_tokens, reasoningTokens: answerUsage.reasoning_tokens },
    });
    // Two sleep-time branches of two agent calls each, the prefix warm-up, the ask; all for the example's model id.
    const requests = server.requests;
    expect(requests).toHaveLength(6);
    expect(new Set(requests.map((request) => request.body.model))).toEqual(new Set(['qwen3-8b']));
    for (const sleepCall of requests.slice(0, 4)) {
      expect(sleepCall.body.tools?.length).toBeGreaterThan(0);
      expect(JSON.stringify(sleepCall.body.messages)).toContain('Ana buys 3 apples at $2 each');
    }
    expect(requests[4]?.body.max_tokens).toBe(1);
    const ask = JSON.stringify(requests[5]?.body.messages);
    expect(ask).toContain(learnedMemory);
    expect(ask).toContain('How much change does Ana get?');
    // The embedded store was created where the example said, inside the project.
    expect(existsSync(path.join(coreProject, '.sleeptime'))).toBe(true);
  });

  it('type-checks a TypeScript consumer against the published declarations (strict, exactOptionalPropertyTypes, skipLibCheck off)', async () => {
    expectSuccess('npm install <@sleeptime/core tarball>', coreInstall);
    await copyFile(path.join(fixtures, 'typed-consumer.ts'), path.join(coreProject, 'typed-consumer.ts'));
    await copyFile(path.join(fixtures, 'typed-consumer-tsconfig.json'), path.join(coreProject, 'tsconfig.json'));
    const result = await run(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: coreProject, timeoutMs: 5 * 60_000 });
    // Errors inside node_modules count too: they come from types our declarations expose (a
    // consumer cannot turn skipLibCheck off otherwise). One line per error, then the full output.
    const errors = result.stdout.split('\n').filter((line) => /^\S+\(\d+,\d+\): error TS\d+/.test(line));
    expect(errors.map((line) => line.slice(0, 240)), describeRun('tsc -p tsconfig.json', result)).toEqual([]);
    expectSuccess('tsc -p tsconfig.json', result);
    console.log(`tsc on the typed consumer: ${seconds(result.ms)}`);
  });

  it('installs @sleeptime/core without node-llama-cpp, vega or graphile-worker', async () => {
    expectSuccess('npm install <@sleeptime/core tarball>', coreInstall);
    const names = await installedPackageNames(coreProject);
    expect(names.has('@sleeptime/core')).toBe(true);
    expect(names.has('better-sqlite3')).toBe(true);
    const unwanted = [...names].filter((name) => /^(node-llama-cpp|@node-llama-cpp\/.*|vega(-.*)?|graphile-worker|@sleeptime\/(llama|service|bench))$/.test(name));
    expect(unwanted).toEqual([]);
    for (const name of ['node-llama-cpp', 'vega', 'graphile-worker', '@sleeptime/llama']) {
      expect(existsSync(path.join(coreProject, 'node_modules', name)), `node_modules/${name}`).toBe(false);
    }
  });

  it('runs the installed sleeptime command: --help, --version, context put and list', async () => {
    expectSuccess('npm install <sleeptime tarballs> --omit=optional', cliInstall);
    // `npx --no --`: the project's own bin, never a download (the registry's "sleeptime" is someone
    // else's package); the `--` keeps npx from reading --help and --version as its own.
    const sleeptime = (args: string[]) => run('npx', ['--no', '--', 'sleeptime', ...args], { cwd: cliProject, timeoutMs: 60_000 });

    const help = await sleeptime(['--help']);
    expectSuccess('npx sleeptime --help', help);
    expect(help.stdout).toMatch(/^Usage: sleeptime /);
    for (const command of ['context', 'sleep', 'ask', 'runs', 'serve']) expect(help.stdout).toContain(`  ${command}`);

    const version = await sleeptime(['--version']);
    expectSuccess('npx sleeptime --version', version);
    expect(version.stdout.trim()).toBe(packed('sleeptime').version);

    const dataDir = path.join(workDir, 'cli-data');
    const empty = await sleeptime(['context', 'list', '--data-dir', dataDir]);
    expectSuccess('npx sleeptime context list', empty);
    expect(empty.stdout).toContain('No contexts yet');
    expect(existsSync(dataDir)).toBe(true);

    const put = await sleeptime(['context', 'put', 'notes', '--text', 'We chose SQLite for the embedded store.', '--data-dir', dataDir]);
    expectSuccess('npx sleeptime context put', put);
    const listed = await sleeptime(['context', 'list', '--data-dir', dataDir, '--json']);
    expectSuccess('npx sleeptime context list --json', listed);
    expect(listed.stdout).toContain('"notes"');
    console.log(`npx sleeptime --help: ${Math.round(help.ms)} ms; context list: ${Math.round(empty.ms)} ms`);
  });

  it('ships the dashboard: compiled into @sleeptime/service, and served at /ui by the installed sleeptime serve', async () => {
    expect(packed('@sleeptime/service').files).toEqual(expect.arrayContaining(['dist/dashboard/dashboard-routes.js', 'dist/dashboard/generated/dashboard-assets.js']));
    expectSuccess('npm install <sleeptime tarballs> --omit=optional', cliInstall);
    const bin = path.join(cliProject, 'node_modules', 'sleeptime', 'bin', 'sleeptime.js');
    const serve = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', path.join(workDir, 'serve-data')], { cwd: cliProject, env: isolatedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    serve.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    serve.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    try {
      let url: string | undefined;
      for (const started = Date.now(); url === undefined && Date.now() - started < 60_000; await new Promise((resolve) => setTimeout(resolve, 100))) {
        url = /serving on (http:\/\/\S+) /.exec(output)?.[1];
        if (serve.exitCode !== null) break;
      }
      expect(url, output).toBeDefined();
      const page = await fetch(`${url}/ui`);
      expect(page.status).toBe(200);
      const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
      const asset = await fetch(`${url}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect((await asset.text()).length).toBeGreaterThan(10_000);
    } finally {
      serve.kill('SIGTERM');
    }
  });
});
