import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIME_SOURCE, DATASET_SOURCES, GSM_SYMBOLIC_SOURCE, type DatasetSource } from './datasets-manifest.js';
import { describeWithDatasets } from './datasets-test-support.js';
import { datasetFileUrl } from './download-datasets.js';

function pathsOf(source: DatasetSource): string[] {
  return source.files.map((file) => file.path);
}

describe('the pinned manifest', () => {
  it('pins full commits of the two public repositories', () => {
    expect(DATASET_SOURCES.map((source) => [source.dataset, source.repository, source.commit])).toEqual([
      ['gsm-symbolic', 'apple/ml-gsm-symbolic', 'b6a1625025fc857300203bac9f617e5d8ec99f65'],
      ['aime', 'eth-sri/matharena', '81f103e38b1df076afa65ee0a3ffbe148d42e6d2'],
    ]);
  });

  it('lists the 250 templates with their licence', () => {
    const paths = pathsOf(GSM_SYMBOLIC_SOURCE);
    for (const [variant, count] of [['p1', 100], ['p2', 50], ['symbolic', 100]] as const) {
      const expected = Array.from({ length: count }, (_, index) => `templates/${variant}/${String(index).padStart(4, '0')}.json`);
      expect(paths.filter((path) => path.startsWith(`templates/${variant}/`))).toEqual(expected);
    }
    expect(paths).toHaveLength(251);
    expect(paths).toContain('LICENSE');
  });

  it('lists the 60 AIME problems with answers, configs, figures, and the licence from the repository root', () => {
    const paths = pathsOf(AIME_SOURCE);
    for (const exam of ['aime_2024_I', 'aime_2024_II', 'aime_2025_I', 'aime_2025_II']) {
      const problems = paths.filter((path) => path.startsWith(`${exam}/problems/`));
      expect(problems.sort()).toEqual(Array.from({ length: 15 }, (_, index) => `${exam}/problems/${index + 1}.tex`).sort());
      expect(paths).toEqual(expect.arrayContaining([`${exam}/answers.csv`, `${exam}/config.yaml`]));
    }
    expect(paths.filter((path) => path.endsWith('.png'))).toHaveLength(6);
    expect(paths).toHaveLength(75);
    expect(AIME_SOURCE.files.find((file) => file.path === 'LICENSE')?.from).toBe('LICENSE');
  });

  it('has one well-formed entry per file', () => {
    for (const source of DATASET_SOURCES) {
      expect(new Set(pathsOf(source)).size).toBe(source.files.length);
      for (const file of source.files) {
        expect(file.sha256, file.path).toMatch(/^[0-9a-f]{64}$/);
        expect(file.bytes, file.path).toBeGreaterThan(0);
        expect(file.path).toMatch(/^[\w.-]+(?:\/[\w.-]+)*$/);
        expect(file.path.split('/')).not.toContain('..');
      }
    }
  });

  it('fetches from raw.githubusercontent.com at the pinned commits', () => {
    const template = GSM_SYMBOLIC_SOURCE.files.find((file) => file.path === 'templates/p2/0003.json');
    const answers = AIME_SOURCE.files.find((file) => file.path === 'aime_2024_I/answers.csv');
    const license = AIME_SOURCE.files.find((file) => file.path === 'LICENSE');
    if (template === undefined || answers === undefined || license === undefined) throw new Error('missing from the manifest');
    expect(datasetFileUrl(GSM_SYMBOLIC_SOURCE, template)).toBe(
      'https://raw.githubusercontent.com/apple/ml-gsm-symbolic/b6a1625025fc857300203bac9f617e5d8ec99f65/templates/p2/0003.json',
    );
    expect(datasetFileUrl(AIME_SOURCE, answers)).toBe(
      'https://raw.githubusercontent.com/eth-sri/matharena/81f103e38b1df076afa65ee0a3ffbe148d42e6d2/data/aime/aime_2024_I/answers.csv',
    );
    expect(datasetFileUrl(AIME_SOURCE, license, 'http://127.0.0.1:8000/mirror/')).toBe(
      'http://127.0.0.1:8000/mirror/eth-sri/matharena/81f103e38b1df076afa65ee0a3ffbe148d42e6d2/LICENSE',
    );
  });
});

/** A manifest line for a file, as written in datasets-manifest.ts (so a mismatch shows what to write). */
function manifestLine(path: string, bytes: Buffer): string {
  return `{ path: '${path}', sha256: '${createHash('sha256').update(bytes).digest('hex')}', bytes: ${bytes.length} }`;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

describeWithDatasets('the pinned manifest against the datasets folder', (datasetsDir) => {
  it.each(DATASET_SOURCES.map((source) => [source.dataset, source] as const))('lists exactly the files of %s/, with their SHA-256 and size', (dataset, source) => {
    const folder = join(datasetsDir, dataset);
    const actual = filesUnder(folder).map((path) => manifestLine(path, readFileSync(join(folder, ...path.split('/')))));
    const pinned = [...source.files]
      .sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0))
      .map((file) => `{ path: '${file.path}', sha256: '${file.sha256}', bytes: ${file.bytes} }`);
    expect(actual).toEqual(pinned);
  });
});
