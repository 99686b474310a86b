/**
 * GSM-Symbolic from its templates: parse the 250 public templates, sample fresh instances with a
 * seed, write them as JSON Lines, and load the officially released instance files. See README.md
 * in this folder for the template language and the vocabularies inferred for it.
 */
export {
  DEFAULT_MAX_ATTEMPTS_PER_INSTANCE,
  generateFromTemplates,
  generateGsmSymbolic,
  loadGsmSymbolicTemplates,
  type GenerateGsmSymbolicOptions,
  type GsmSymbolicInstance,
  type TemplateSamplingStatistics,
} from './generator.js';
export { readGsmSymbolicJsonl, writeGsmSymbolicJsonl } from './instances-jsonl.js';
export {
  OFFICIAL_GSM_SYMBOLIC_URLS,
  loadOfficialGsmSymbolic,
  officialCachePath,
  type LoadOfficialGsmSymbolicOptions,
  type OfficialGsmSymbolicItem,
} from './official-instances.js';
export {
  gsmSymbolicVariants,
  parseGsmSymbolicTemplate,
  type GsmSymbolicTemplate,
  type GsmSymbolicVariant,
} from './template-parser.js';
export { checkDefaultValues, type DefaultValuesCheck } from './default-values-check.js';
export { fromBindings, type GsmBindingValue } from './template-runtime.js';
export { evaluatePython, type EvaluatePythonResult } from './evaluate-python.js';
export { PythonError, type PythonErrorKind } from './python-values.js';
export { inventoryTemplates, type TemplateInventory } from './template-inventory.js';
export { vocabularies } from './vocabularies.js';
