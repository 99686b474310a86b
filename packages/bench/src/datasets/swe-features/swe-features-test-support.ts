/**
 * Two small repositories for the SWE-Features tests, built commit by commit: one whose pull
 * requests arrive as `--no-ff` merges (with a fix, a docs-only change and a branch sync among
 * them), and one with only linear commits (conventional and plain messages).
 */
import { createTestGitRepository, type TestGitRepository } from '@sleeptime/core/testing';

export interface MergedRepository {
  repository: TestGitRepository;
  initial: string;
  /** Merge commits by pull request: #1 CSV export, #2 a fix, #3 JSON export (no description), #4 docs, xml (a local merge), sync. */
  merges: { csv: string; fix: string; json: string; docs: string; xml: string; sync: string };
}

/** main: initial, #1 csv (merge), a typo fix committed on main, #2 fix, #3 json, #4 docs, xml (local merge), a sync merge. */
export async function buildMergedRepository(): Promise<MergedRepository> {
  const repository = await createTestGitRepository({ name: 'reports' });
  const initial = await repository.commit('Initial commit', {
    'README.md': '# Reports\n\nMake reports.\n',
    'package.json': '{ "name": "reports" }\n',
    'src/index.ts': "export { render } from './format.js';\n",
    'src/cli.ts': "import { render } from './index.js';\nconsole.log(render([1, 2]));\n",
    'src/format.ts': 'export function render(rows: number[]): string {\n  return rows.join(" ");\n}\n',
    'test/format.test.ts': "import { render } from '../src/format.js';\n",
  });

  const pullRequest = async (branch: string, commits: [string, Record<string, string | null>][], message: string) => {
    await repository.branch(branch, 'main');
    for (const [subject, files] of commits) await repository.commit(subject, files);
    await repository.checkout('main');
    return repository.merge(branch, message);
  };

  const csv = await pullRequest(
    'feature/csv-export',
    [
      ['Add CSV writer', { 'src/export/csv.ts': 'export const toCsv = (rows: number[]) => rows.join(",");\n', 'src/index.ts': "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';\n" }],
      ['Wire CSV into the CLI', { 'src/cli.ts': "import { render, toCsv } from './index.js';\nconsole.log(process.argv.includes('--csv') ? toCsv([1, 2]) : render([1, 2]));\n" }],
      ['Test the CSV writer', { 'test/csv.test.ts': "import { toCsv } from '../src/export/csv.js';\n" }],
    ],
    'Merge pull request #1 from alice/feature/csv-export\n\nAdd CSV export\n\nUsers can export reports as CSV.\n\nSigned-off-by: Alice <alice@example.com>',
  );
  await repository.commit('Fix typo in README', { 'README.md': '# Reports\n\nMakes reports.\n' });
  const fix = await pullRequest('fix-format', [['Fix rounding', { 'src/format.ts': 'export function render(rows: number[]): string {\n  return rows.map((row) => row.toFixed(2)).join(" ");\n}\n' }]], 'Merge pull request #2 from bob/fix-format\n\nFix rounding in render');
  const json = await pullRequest(
    'json-export',
    [
      ['JSON writer', { 'src/export/json.ts': 'export const toJson = (rows: number[]) => JSON.stringify(rows);\n', 'src/index.ts': "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';\nexport { toJson } from './export/json.js';\n" }],
      ['CLI flag for JSON', { 'src/cli.ts': "import { render, toCsv, toJson } from './index.js';\nconsole.log(process.argv.includes('--json') ? toJson([1]) : toCsv([1, 2]));\n" }],
    ],
    'Merge pull request #3 from alice/json-export',
  );
  const docs = await pullRequest('docs', [['Document exports', { 'docs/exports.md': '# Exports\n\nCSV and JSON.\n' }]], 'Merge pull request #4 from carol/docs\n\nDocument the export formats');
  const xml = await pullRequest(
    'feature/xml-export',
    [
      [
        'Add XML writer',
        {
          'src/export/xml.ts': 'export const toXml = (rows: number[]) => `<rows>${rows.join("")}</rows>`;\n',
          'src/index.ts': "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';\nexport { toJson } from './export/json.js';\nexport { toXml } from './export/xml.js';\n",
          'src/cli.ts': "import { toXml } from './index.js';\nconsole.log(toXml([1]));\n",
          'test/xml.test.ts': "import { toXml } from '../src/export/xml.js';\n",
          'README.md': '# Reports\n\nMakes reports in CSV, JSON and XML.\n',
        },
      ],
    ],
    "Merge branch 'feature/xml-export'",
  );
  const sync = await pullRequest('remote-work', [['Tweak the CLI', { 'src/cli.ts': "import { toXml } from './index.js';\nconsole.log(toXml([1, 2]));\n" }]], "Merge branch 'main' of github.com:acme/reports");
  return { repository, initial, merges: { csv, fix, json, docs, xml, sync } };
}

export interface LinearRepository {
  repository: TestGitRepository;
  commits: { initial: string; user: string; fix: string; login: string; docs: string; refactor: string; session: string; tweak: string };
}

/** Only linear commits: a conventional feat, a fix, a squash-merged "(#12)", docs, a refactor, a plain multi-file feature, a one-file tweak. */
export async function buildLinearRepository(): Promise<LinearRepository> {
  const repository = await createTestGitRepository({ name: 'service' });
  const initial = await repository.commit('Initial commit', { 'src/app.py': 'app = None\n', 'README.md': '# Service\n' });
  const user = await repository.commit('feat: add a user model\n\nUsers have a name and an email.', { 'src/models/user.py': 'class User:\n    pass\n', 'src/app.py': 'from models.user import User\n' });
  const fix = await repository.commit('fix: handle empty names', { 'src/models/user.py': 'class User:\n    name = ""\n' });
  const login = await repository.commit('Add a login endpoint (#12)\n\nPOST /login checks a password.\n\nCo-authored-by: Dana <dana@example.com>', {
    'src/api/login.py': 'def login():\n    pass\n',
    'tests/test_login.py': 'def test_login():\n    pass\n',
  });
  const docs = await repository.commit('Update docs', { 'README.md': '# Service\n\nLog in with POST /login.\n' });
  const refactor = await repository.commit('Refactor the storage layer', { 'src/storage.py': 'store = {}\n', 'src/app.py': 'from models.user import User\nfrom storage import store\n' });
  const session = await repository.commit('Session handling', { 'src/session.py': 'sessions = {}\n', 'src/api/login.py': 'from session import sessions\ndef login():\n    pass\n' });
  const tweak = await repository.commit('Tweak', { 'src/app.py': 'from models.user import User\nfrom storage import store\napp = 1\n' });
  return { repository, commits: { initial, user, fix, login, docs, refactor, session, tweak } };
}
