import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  besideRepositoryModelsDir,
  describeWithRealModel,
  realTestModelSettings,
  type RealTestModelSettings,
  type SuiteFunctions,
} from './real-test-model.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sleeptime-real-test-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function folderWith(name: string, files: Record<string, number>): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) await writeFile(join(folder, file), Buffer.alloc(bytes));
  return folder;
}

describe('realTestModelSettings', () => {
  it('takes SLEEPTIME_TEST_MODEL first, as an absolute path, with the llama: spec', async () => {
    const folder = await folderWith('env', { 'chosen.gguf': 10, 'smaller.gguf': 1 });
    const settings = realTestModelSettings({ SLEEPTIME_TEST_MODEL: join(folder, 'chosen.gguf') }, { modelsDir: folder });
    expect(settings.model).toEqual({ path: join(folder, 'chosen.gguf'), spec: `llama:${join(folder, 'chosen.gguf')}` });
    expect(settings.required).toBe(false);
  });

  it('says so when SLEEPTIME_TEST_MODEL names no file, without looking elsewhere', async () => {
    const folder = await folderWith('env-missing', { 'model.gguf': 1 });
    const settings = realTestModelSettings({ SLEEPTIME_TEST_MODEL: join(folder, 'missing.gguf'), SLEEPTIME_REQUIRE_TEST_MODEL: '1' }, { modelsDir: folder });
    expect(settings).toEqual({ model: undefined, required: true, missingReason: `SLEEPTIME_TEST_MODEL=${join(folder, 'missing.gguf')} is not a file` });
    expect(realTestModelSettings({ SLEEPTIME_TEST_MODEL: folder }, { modelsDir: folder }).model).toBeUndefined();
  });

  it('else picks the smallest .gguf of the models folder, ignoring other files', async () => {
    const folder = await folderWith('shared', { 'big.gguf': 30, 'small.GGUF': 20, 'notes.txt': 1, 'tiny.gguf.part': 1 });
    expect(realTestModelSettings({}, { modelsDir: folder }).model?.path).toBe(join(folder, 'small.GGUF'));
    expect(realTestModelSettings({ SLEEPTIME_TEST_MODEL: '  ' }, { modelsDir: folder }).model?.path).toBe(join(folder, 'small.GGUF'));
  });

  it('finds none in an empty or missing folder, or outside a checkout, and says why', async () => {
    const empty = await folderWith('empty', { 'readme.md': 1 });
    expect(realTestModelSettings({}, { modelsDir: empty })).toEqual({ model: undefined, required: false, missingReason: `SLEEPTIME_TEST_MODEL is not set and ${empty} holds no .gguf file` });
    expect(realTestModelSettings({ SLEEPTIME_REQUIRE_TEST_MODEL: '1' }, { modelsDir: join(dir, 'nowhere') })).toMatchObject({ model: undefined, required: true });
    expect(realTestModelSettings({}, { modelsDir: undefined }).missingReason).toMatch(/not a sleeptime checkout/);
  });

  it('looks beside this checkout: <repo>/../shared/models', () => {
    const repository = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
    expect(besideRepositoryModelsDir()).toBe(resolve(repository, '../shared/models'));
  });
});

describe('describeWithRealModel', () => {
  /** Records what the helper declares, and runs the tests it declares, as a runner would. */
  function recordingSuite() {
    const declared: string[] = [];
    const failures: string[] = [];
    const suite: SuiteFunctions = {
      describe: Object.assign((title: string, body: () => void) => {
        declared.push(`describe ${title}`);
        body();
      }, {
        skip: (title: string) => {
          declared.push(`skip ${title}`);
        },
      }),
      it: (title: string, body: () => void) => {
        declared.push(`it ${title}`);
        try {
          body();
        } catch (error) {
          failures.push((error as Error).message);
        }
      },
    };
    return { suite, declared, failures };
  }
  const missing: RealTestModelSettings = { model: undefined, required: false, missingReason: 'no model here' };

  it('runs the body with the model when there is one', () => {
    const { suite, declared } = recordingSuite();
    const seen: string[] = [];
    describeWithRealModel('t', suite, (model) => seen.push(model.spec), { model: { path: '/m.gguf', spec: 'llama:/m.gguf' }, required: true, missingReason: '' });
    expect(declared).toEqual(['describe t']);
    expect(seen).toEqual(['llama:/m.gguf']);
  });

  it('skips with the reason in the title when there is none', () => {
    const { suite, declared } = recordingSuite();
    describeWithRealModel('t', suite, () => undefined, missing);
    expect(declared).toEqual(['skip t (SKIPPED: no model here)']);
  });

  it('fails instead when the model is required', () => {
    const { suite, declared, failures } = recordingSuite();
    describeWithRealModel('t', suite, () => expect.fail('the body must not run'), { ...missing, required: true });
    expect(declared).toEqual(['describe t', 'it has a real test model because SLEEPTIME_REQUIRE_TEST_MODEL=1']);
    expect(failures).toEqual(['SLEEPTIME_REQUIRE_TEST_MODEL=1 but no model here']);
  });
});

describeWithRealModel('the real test model', { describe, it }, (model) => {
  it('is a GGUF file', async () => {
    const file = await open(model.path);
    try {
      const magic = Buffer.alloc(4);
      await file.read(magic, 0, 4, 0);
      expect(magic.toString('latin1')).toBe('GGUF');
    } finally {
      await file.close();
    }
  });
});
