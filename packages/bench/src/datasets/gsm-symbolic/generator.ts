/**
 * Fresh GSM-Symbolic instances from the templates, by rejection sampling: run `#init` top to
 * bottom, drawing values, and start over as soon as a `#conditions` line is false. A condition is
 * checked right after the last variable it reads is assigned, which rejects early without changing
 * the distribution (every attempt still starts from scratch, so accepted samples are uniform over
 * the valid ones given the `#init` distributions).
 *
 * Deterministic: each template has its own random stream, seeded from (seed, template id), so an
 * instance does not depend on which other templates or variants are generated, nor on
 * `perTemplate` (instance i is the same whether 3 or 30 are asked for). Instances of one template
 * differ in their question text when the template allows it: a repeat is redrawn, up to a bound.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userError } from '@sleeptime/core';
import { resolveDatasetsDir } from '../datasets-dir.js';
import { splitStateful } from '../stateful-split.js';
import { Scope } from './expression-evaluator.js';
import { LabeledValue, PythonError, isNumeric, toDouble, truthy, unwrapLabel, type PyValue } from './python-values.js';
import { renderQuestion } from './question-renderer.js';
import { createSeededRandom, type RandomSource } from './seeded-random.js';
import {
  gsmSymbolicVariants,
  parseGsmSymbolicTemplate,
  templateError,
  type GsmSymbolicTemplate,
  type GsmSymbolicVariant,
  type TemplateExpression,
} from './template-parser.js';
import { bindAssignment, createGlobals, toBindingValue, type GsmBindingValue } from './template-runtime.js';

export interface GsmSymbolicInstance {
  /** `p2/0003/seed-7/2`: template, seed, index within the template. */
  id: string;
  /** `p2/0003`. */
  template: string;
  question: string;
  /** The `#answer` value as a number (integers for all but a few templates). */
  answer: number;
  /** Every `#init` variable, as `#conditions` and `#answer` see it (vocabulary words by number). */
  bindings: Record<string, GsmBindingValue>;
  /** For variables drawn from a vocabulary of words: the word shown in the question ("twice"). */
  labels: Record<string, string>;
  /** The stateful split of the question: every sentence but the last, and the last. */
  context: string;
  query: string;
}

export interface GenerateGsmSymbolicOptions {
  variant: GsmSymbolicVariant;
  perTemplate: number;
  seed: number;
  /** The datasets folder; default: SLEEPTIME_DATASETS_DIR, else the download cache (see resolveDatasetsDir). */
  datasetsDir?: string;
  /** Rejection-sampling attempts for one instance before the template counts as failed. */
  maxAttemptsPerInstance?: number;
  /** Only these templates (`p1/0003` or `0003`), in the given order; default: all of the variant. */
  templates?: readonly string[];
  /** Called after each template with its sampling statistics (for reports and tuning). */
  onTemplateDone?: (statistics: TemplateSamplingStatistics) => void;
}

export interface TemplateSamplingStatistics {
  template: string;
  instances: number;
  /** Rejection-sampling attempts over all its instances (accepted ones included). */
  attempts: number;
  /** Accepted draws thrown away because their question repeated an earlier instance. */
  repeats: number;
}

/**
 * The rarest template (p1/0011) accepts about one draw in 40,000 with these vocabularies, so a
 * million attempts fail a sound template with odds near e^-25, and cost about 2 s when they do.
 */
export const DEFAULT_MAX_ATTEMPTS_PER_INSTANCE = 1_000_000;

/** A repeated question is redrawn this many times before a template is taken to be exhausted. */
const maximumRepeatsPerInstance = 200;

/** The templates of one variant, in file order (`0000.json`, `0001.json`, ...). */
export function loadGsmSymbolicTemplates(variant: GsmSymbolicVariant, datasetsDir?: string): GsmSymbolicTemplate[] {
  checkVariant(variant);
  const folder = join(resolveDatasetsDir(datasetsDir), 'gsm-symbolic', 'templates', variant);
  let files: string[];
  try {
    files = readdirSync(folder).filter((file) => file.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw userError(
        'gsm_symbolic_templates_not_found',
        `No GSM-Symbolic templates at ${folder}. Pass the folder holding gsm-symbolic/templates (datasetsDir, --datasets-dir or ` +
          'SLEEPTIME_DATASETS_DIR), or download the pinned templates into the cache (`sleeptime data gsm-symbolic` does, or prepareDatasets).',
        { path: folder },
      );
    }
    throw error;
  }
  return files.map((file) => {
    const id = `${variant}/${file.replace(/\.json$/, '')}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(folder, file), 'utf8'));
    } catch (error) {
      throw templateError(id, 'parse', `not valid JSON: ${(error as Error).message}`, { path: join(folder, file) });
    }
    return parseGsmSymbolicTemplate(id, parsed);
  });
}

/** Generates `perTemplate` instances of every template of a variant (or of `templates`). */
export function generateGsmSymbolic(options: GenerateGsmSymbolicOptions): GsmSymbolicInstance[] {
  checkVariant(options.variant);
  const all = loadGsmSymbolicTemplates(options.variant, options.datasetsDir);
  let templates = all;
  if (options.templates !== undefined) {
    templates = options.templates.map((wanted) => {
      const id = wanted.includes('/') ? wanted : `${options.variant}/${wanted}`;
      const found = all.find((template) => template.id === id);
      if (found === undefined) throw userError('gsm_symbolic_template_unknown', `No GSM-Symbolic template ${id}.`, { template: id });
      return found;
    });
  }
  return generateFromTemplates(templates, options);
}

/** Generates instances of already-parsed templates (the same seeding as {@link generateGsmSymbolic}). */
export function generateFromTemplates(
  templates: readonly GsmSymbolicTemplate[],
  options: Pick<GenerateGsmSymbolicOptions, 'perTemplate' | 'seed' | 'maxAttemptsPerInstance' | 'onTemplateDone'>,
): GsmSymbolicInstance[] {
  const perTemplate = options.perTemplate;
  if (!Number.isSafeInteger(perTemplate) || perTemplate < 1) {
    throw userError('invalid_option', `perTemplate must be a positive integer, got ${perTemplate}.`);
  }
  if (!Number.isSafeInteger(options.seed)) throw userError('invalid_option', `seed must be an integer, got ${options.seed}.`);
  const maxAttempts = options.maxAttemptsPerInstance ?? DEFAULT_MAX_ATTEMPTS_PER_INSTANCE;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw userError('invalid_option', `maxAttemptsPerInstance must be a positive integer, got ${maxAttempts}.`);
  }
  const instances: GsmSymbolicInstance[] = [];
  for (const template of templates) {
    const generated = generateTemplateInstances(template, perTemplate, options.seed, maxAttempts);
    instances.push(...generated.instances);
    options.onTemplateDone?.(generated.statistics);
  }
  return instances;
}

interface PreparedTemplate {
  template: GsmSymbolicTemplate;
  /** Conditions to check right after assignment i. */
  checksAfter: TemplateExpression[][];
  variableNames: string[];
}

function generateTemplateInstances(
  template: GsmSymbolicTemplate,
  count: number,
  seed: number,
  maxAttempts: number,
): { instances: GsmSymbolicInstance[]; statistics: TemplateSamplingStatistics } {
  const random = createSeededRandom(`gsm-symbolic:${seed}:${template.id}`);
  const globals = createGlobals(random);
  const prepared = prepareTemplate(template, globals);
  const scope = new Scope(new Map(), globals);
  const seen = new Set<string>();
  const instances: GsmSymbolicInstance[] = [];
  const statistics: TemplateSamplingStatistics = { template: template.id, instances: count, attempts: 0, repeats: 0 };

  for (let index = 0; index < count; index += 1) {
    let repeats = 0;
    let attempts = 0;
    for (;;) {
      if (attempts >= maxAttempts) {
        throw templateError(
          template.id,
          'sampling',
          `no values satisfied every condition in ${maxAttempts} attempts (instance ${index})`,
          { attempts: maxAttempts, instance: index },
        );
      }
      attempts += 1;
      statistics.attempts += 1;
      const answer = drawOnce(prepared, scope, random);
      if (answer === undefined) continue;
      const question = renderQuestion(template, scope.variables);
      if (seen.has(question) && repeats < maximumRepeatsPerInstance) {
        repeats += 1;
        statistics.repeats += 1;
        continue;
      }
      seen.add(question);
      instances.push(buildInstance(prepared, scope, question, answer, seed, index));
      break;
    }
  }
  return { instances, statistics };
}

/** Checks names and orders conditions; errors name the template. */
function prepareTemplate(template: GsmSymbolicTemplate, globals: ReadonlyMap<string, PyValue>): PreparedTemplate {
  const lastAssignment = new Map<string, number>();
  template.assignments.forEach((assignment, index) => {
    for (const target of assignment.targets) lastAssignment.set(target.name, index);
  });
  if (template.assignments.length === 0) throw templateError(template.id, 'parse', '#init assigns no variables');

  const assignedSoFar = new Set<string>();
  for (const assignment of template.assignments) {
    checkNames(template, '#init', assignment.expression, (name) => assignedSoFar.has(name), globals);
    for (const target of assignment.targets) assignedSoFar.add(target.name);
  }

  const checksAfter: TemplateExpression[][] = template.assignments.map(() => []);
  for (const condition of template.conditions) {
    checkNames(template, '#conditions', condition, (name) => lastAssignment.has(name), globals);
    let stage = 0;
    for (const name of condition.names) stage = Math.max(stage, lastAssignment.get(name) ?? 0);
    (checksAfter[stage] as TemplateExpression[]).push(condition);
  }
  checkNames(template, '#answer', template.answer, (name) => lastAssignment.has(name), globals);
  return { template, checksAfter, variableNames: [...lastAssignment.keys()] };
}

function checkNames(
  template: GsmSymbolicTemplate,
  section: string,
  expression: TemplateExpression,
  isVariable: (name: string) => boolean,
  globals: ReadonlyMap<string, PyValue>,
): void {
  for (const name of expression.names) {
    if (!isVariable(name) && !globals.has(name)) {
      throw templateError(template.id, 'names', `unknown name '${name}' in ${section}: ${expression.source}`, {
        expression: expression.source,
        name,
      });
    }
  }
}

/**
 * One rejection-sampling attempt. Returns the answer, or undefined when a condition failed (or
 * divided by zero, which only some draws do). Any other Python error fails the template.
 */
function drawOnce(prepared: PreparedTemplate, scope: Scope, random: RandomSource): PyValue | undefined {
  const { template } = prepared;
  scope.variables.clear();
  let current: TemplateExpression | undefined;
  let stage = '#init';
  try {
    for (let index = 0; index < template.assignments.length; index += 1) {
      const assignment = template.assignments[index] as GsmSymbolicTemplate['assignments'][number];
      stage = '#init';
      current = assignment.expression;
      bindAssignment(scope, assignment.targets, assignment.expression.evaluate(scope), random);
      stage = '#conditions';
      for (const condition of prepared.checksAfter[index] as TemplateExpression[]) {
        current = condition;
        if (!truthy(condition.evaluate(scope))) return undefined;
      }
    }
    stage = '#answer';
    current = template.answer;
    const answer = template.answer.evaluate(scope);
    if (!isNumeric(unwrapLabel(answer))) {
      throw templateError(template.id, 'answer', `#answer is not a number: ${template.answer.source}`);
    }
    return answer;
  } catch (error) {
    if (error instanceof PythonError) {
      if (error.kind === 'ZeroDivisionError') return undefined;
      throw templateError(template.id, stage.slice(1), `${error.message} in ${stage}: ${current?.source ?? ''}`, {
        expression: current?.source,
      });
    }
    throw error;
  }
}

function buildInstance(
  prepared: PreparedTemplate,
  scope: Scope,
  question: string,
  answer: PyValue,
  seed: number,
  index: number,
): GsmSymbolicInstance {
  const { template } = prepared;
  const bindings: Record<string, GsmBindingValue> = {};
  const labels: Record<string, string> = {};
  for (const name of prepared.variableNames) {
    const value = scope.variables.get(name) as PyValue;
    try {
      bindings[name] = toBindingValue(value);
    } catch (error) {
      if (error instanceof PythonError) throw templateError(template.id, 'bindings', `${name}: ${error.message}`);
      throw error;
    }
    if (value instanceof LabeledValue) labels[name] = value.label;
  }
  const { context, query } = splitStateful(question);
  return {
    id: `${template.id}/seed-${seed}/${index}`,
    template: template.id,
    question,
    answer: toDouble(answer),
    bindings,
    labels,
    context,
    query,
  };
}

function checkVariant(variant: string): asserts variant is GsmSymbolicVariant {
  if (!(gsmSymbolicVariants as readonly string[]).includes(variant)) {
    throw userError('invalid_option', `Unknown GSM-Symbolic variant '${variant}': use ${gsmSymbolicVariants.join(', ')}.`);
  }
}
