/**
 * Lists what the templates use: every function called, every operator, and every name that is not
 * a template variable (vocabularies, modules), with counts, and flags any that the evaluator does
 * not define. Run it to see the language the 250 templates need:
 *
 *     npx tsx --conditions=@sleeptime/source packages/bench/src/datasets/gsm-symbolic/template-inventory.ts [datasets-dir]
 */
import { fileURLToPath } from 'node:url';
import type { ExpressionNode } from './expression-parser.js';
import { loadGsmSymbolicTemplates } from './generator.js';
import { createGlobals } from './template-runtime.js';
import { gsmSymbolicVariants, type GsmSymbolicTemplate } from './template-parser.js';

export interface TemplateInventory {
  /** Called names (`sample`, `np.arange`) with how many calls. */
  functions: Map<string, number>;
  /** Operators and syntax (`//`, `**`, `chained comparison`, `slice`, `if-else`...) with counts. */
  operators: Map<string, number>;
  /** Names read that no `#init` assigns (vocabularies, functions passed as values), with counts. */
  globals: Map<string, number>;
  /** Functions or globals the evaluator does not define, as `name (template)`. */
  unsupported: string[];
}

export function inventoryTemplates(templates: readonly GsmSymbolicTemplate[]): TemplateInventory {
  const inventory: TemplateInventory = { functions: new Map(), operators: new Map(), globals: new Map(), unsupported: [] };
  const defined = createGlobals(undefined);
  const count = (map: Map<string, number>, key: string): void => {
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  for (const template of templates) {
    const variables = new Set(template.assignments.flatMap((assignment) => assignment.targets.map((target) => target.name)));
    const isDefined = (dotted: string): boolean => {
      const [head, ...rest] = dotted.split('.');
      let value = defined.get(head as string);
      for (const part of rest) value = value !== undefined && typeof value === 'object' && value !== null && 'members' in value ? value.members.get(part) : undefined;
      return value !== undefined;
    };
    const visit = (node: ExpressionNode): void => {
      switch (node.type) {
        case 'call': {
          const name = calleeName(node.callee);
          count(inventory.functions, name);
          if (!isDefined(name)) inventory.unsupported.push(`${name} (${template.id})`);
          if (node.callee.type !== 'name' && node.callee.type !== 'attribute') visit(node.callee);
          node.args.forEach(visit);
          node.keywords.forEach((keyword) => visit(keyword.value));
          if (node.keywords.length > 0) count(inventory.operators, 'keyword argument');
          return;
        }
        case 'name':
          if (!variables.has(node.name)) {
            count(inventory.globals, node.name);
            if (!defined.has(node.name)) inventory.unsupported.push(`${node.name} (${template.id})`);
          }
          return;
        case 'attribute':
          count(inventory.globals, calleeName(node));
          return;
        case 'binary':
          count(inventory.operators, node.operator);
          visit(node.left);
          visit(node.right);
          return;
        case 'logical':
          count(inventory.operators, node.operator);
          visit(node.left);
          visit(node.right);
          return;
        case 'unary':
          count(inventory.operators, node.operator === 'not' ? 'not' : `unary ${node.operator}`);
          visit(node.operand);
          return;
        case 'compare':
          node.operators.forEach((operator) => count(inventory.operators, operator));
          if (node.operators.length > 1) count(inventory.operators, 'chained comparison');
          node.operands.forEach(visit);
          return;
        case 'conditional':
          count(inventory.operators, 'if-else');
          visit(node.test);
          visit(node.body);
          visit(node.orElse);
          return;
        case 'subscript':
          count(inventory.operators, 'index');
          visit(node.target);
          visit(node.index);
          return;
        case 'slice':
          count(inventory.operators, 'slice');
          for (const part of [node.target, node.start, node.stop, node.step]) if (part !== undefined) visit(part);
          return;
        case 'list':
          count(inventory.operators, 'list literal');
          node.elements.forEach(visit);
          return;
        case 'tuple':
          count(inventory.operators, 'tuple literal');
          node.elements.forEach(visit);
          return;
        case 'number':
          count(inventory.operators, /^\d+$/.test(node.text) ? 'int literal' : 'float literal');
          return;
        case 'string':
          count(inventory.operators, 'string literal');
          return;
        case 'constant':
          count(inventory.operators, node.value === null ? 'None' : node.value ? 'True' : 'False');
          return;
        default:
          return;
      }
    };
    for (const assignment of template.assignments) {
      if (assignment.targets.length > 1) count(inventory.operators, 'tuple assignment');
      if (assignment.targets.some((target) => target.drawsFromList)) count(inventory.operators, '$ assignment');
      visit(assignment.expression.node);
    }
    template.conditions.forEach((condition) => visit(condition.node));
    visit(template.answer.node);
  }
  return inventory;
}

function calleeName(node: ExpressionNode): string {
  if (node.type === 'name') return node.name;
  if (node.type === 'attribute') return `${calleeName(node.target)}.${node.name}`;
  return '(expression)';
}

function printTable(title: string, counts: Map<string, number>): void {
  console.log(`\n${title}`);
  for (const [name, total] of [...counts].sort((left, right) => right[1] - left[1])) console.log(`  ${String(total).padStart(5)}  ${name}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const templates = gsmSymbolicVariants.flatMap((variant) => loadGsmSymbolicTemplates(variant, process.argv[2]));
  const inventory = inventoryTemplates(templates);
  console.log(`${templates.length} templates`);
  printTable('Functions called', inventory.functions);
  printTable('Operators and syntax', inventory.operators);
  printTable('Global names read', inventory.globals);
  console.log(`\nUnsupported: ${inventory.unsupported.length === 0 ? 'none' : inventory.unsupported.join(', ')}`);
}
