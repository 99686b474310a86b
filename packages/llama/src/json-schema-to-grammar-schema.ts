/**
 * Converts a JSON Schema (draft 7 / 2020-12, as the AI SDK hands tool and output schemas over) to
 * the JSON-schema subset that node-llama-cpp turns into a GBNF grammar.
 *
 * The grammar only has to produce values that satisfy the original schema; it may accept fewer
 * values than the schema does. So keywords the grammar cannot express are dropped when dropping
 * only loosens the grammar in ways the AI SDK's own validation still catches (`pattern`,
 * `minimum`...), and narrowed where narrowing is safe: objects with declared properties get no
 * extra properties, and node-llama-cpp always emits every declared property.
 */
import type { JSONSchema7, JSONSchema7Definition } from '@ai-sdk/provider';
import type { GbnfJsonSchema } from 'node-llama-cpp';

type GrammarSchema = Record<string, unknown>;
type JSONSchema7TypeName = Extract<JSONSchema7['type'], string>;
type Primitive = string | number | boolean | null;

/** Any JSON value: what an empty schema (`{}` or `true`) allows. */
export const ANY_JSON_GRAMMAR_SCHEMA: GrammarSchema = Object.freeze({
  oneOf: [
    { type: ['string', 'number', 'boolean', 'null'] },
    { type: 'object', additionalProperties: true },
    { type: 'array' },
  ],
});

const ROOT_DEFINITION_NAME = '__root';
const SUPPORTED_STRING_FORMATS = new Set(['date-time', 'time', 'date']);

export function jsonSchemaToGrammarSchema(schema: JSONSchema7Definition): GbnfJsonSchema {
  const definitions: Record<string, GrammarSchema> = {};
  const converter = new Converter(schema, definitions);
  const converted = converter.convert(schema);
  if (Object.keys(definitions).length === 0) return converted as GbnfJsonSchema;
  // node-llama-cpp resolves `#/$defs/...` against the `$defs` of enclosing object, array and oneOf schemas.
  const canCarryDefinitions = converted.type === 'object' || converted.type === 'array' || 'oneOf' in converted;
  const carrier = canCarryDefinitions ? { ...converted } : { oneOf: [converted] };
  return { ...carrier, $defs: definitions } as unknown as GbnfJsonSchema;
}

class Converter {
  private readonly pendingDefinitions = new Set<string>();

  constructor(
    private readonly root: JSONSchema7Definition,
    private readonly definitions: Record<string, GrammarSchema>,
  ) {}

  convert(definition: JSONSchema7Definition | undefined): GrammarSchema {
    if (definition === undefined || definition === true) return ANY_JSON_GRAMMAR_SCHEMA;
    // `false` matches nothing; no grammar can honour that, so the model gets `null` and validation reports it.
    if (definition === false) return { type: 'null' };
    return withDescription(this.convertSchema(definition), definition.description);
  }

  private convertSchema(schema: JSONSchema7): GrammarSchema {
    if (schema.$ref !== undefined) return this.convertReference(schema.$ref);
    if (schema.const !== undefined) return isPrimitive(schema.const) ? { const: schema.const } : ANY_JSON_GRAMMAR_SCHEMA;
    if (schema.enum !== undefined) {
      const values = schema.enum.filter(isPrimitive);
      return values.length === schema.enum.length && values.length > 0 ? { enum: values } : ANY_JSON_GRAMMAR_SCHEMA;
    }
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives !== undefined && alternatives.length > 0) return this.alternatives(alternatives.map((item) => this.convert(item)));
    if (schema.allOf !== undefined && schema.allOf.length > 0) return this.convertAllOf(schema);

    const types = typeNames(schema);
    if (types.length === 0) return ANY_JSON_GRAMMAR_SCHEMA;
    if (types.length > 1) {
      const structured = types.filter((type) => type === 'object' || type === 'array' || type === 'string');
      if (structured.length === 0) return { type: types };
      return this.alternatives(types.map((type) => this.convertSchema({ ...schema, type })));
    }
    const [type] = types as [JSONSchema7TypeName];
    switch (type) {
      case 'object':
        return this.convertObject(schema);
      case 'array':
        return this.convertArray(schema);
      case 'string':
        return convertString(schema);
      case 'integer':
        return convertInteger(schema);
      default:
        return { type };
    }
  }

  private convertReference(reference: string): GrammarSchema {
    if (reference === '#') return this.referenceDefinition(ROOT_DEFINITION_NAME, this.root);
    const match = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(reference);
    const name = match?.[1];
    const root = typeof this.root === 'object' ? this.root : {};
    const target =
      name === undefined
        ? undefined
        : ((root as { $defs?: Record<string, JSONSchema7Definition> }).$defs?.[name] ?? root.definitions?.[name]);
    if (name === undefined || target === undefined) return ANY_JSON_GRAMMAR_SCHEMA;
    return this.referenceDefinition(name, target);
  }

  private referenceDefinition(name: string, target: JSONSchema7Definition): GrammarSchema {
    // Convert each definition once; the pending set stops recursive definitions from looping.
    if (!(name in this.definitions) && !this.pendingDefinitions.has(name)) {
      this.pendingDefinitions.add(name);
      this.definitions[name] = this.convert(target);
      this.pendingDefinitions.delete(name);
    }
    return { $ref: `#/$defs/${name}` };
  }

  private convertAllOf(schema: JSONSchema7): GrammarSchema {
    const parts = (schema.allOf ?? []).filter((part): part is JSONSchema7 => typeof part === 'object');
    const { allOf: _allOf, ...rest } = schema;
    if (parts.length === 1 && Object.keys(rest).length === 0) return this.convert(parts[0]);
    // Merge object parts; anything else cannot be intersected by a grammar, so the first part is kept.
    if ([rest, ...parts].every((part) => part.type === undefined || part.type === 'object')) {
      const merged: JSONSchema7 = { type: 'object', properties: {}, required: [] };
      for (const part of [rest, ...parts]) {
        Object.assign(merged.properties as object, part.properties ?? {});
        merged.required = [...new Set([...(merged.required ?? []), ...(part.required ?? [])])];
        if (part.additionalProperties !== undefined) merged.additionalProperties = part.additionalProperties;
      }
      return this.convertObject(merged);
    }
    return this.convert(parts[0]);
  }

  private convertObject(schema: JSONSchema7): GrammarSchema {
    const propertyEntries = Object.entries(schema.properties ?? {});
    const result: GrammarSchema = { type: 'object' };
    if (propertyEntries.length > 0)
      result.properties = Object.fromEntries(propertyEntries.map(([name, property]) => [name, this.convert(property)]));
    const additional = schema.additionalProperties;
    if (typeof additional === 'object') result.additionalProperties = this.convert(additional);
    // Without declared properties the object is a free map, unless the schema forbids extras (e.g. z.object({})).
    else if (propertyEntries.length === 0 && additional !== false) result.additionalProperties = true;
    if (schema.minProperties !== undefined) result.minProperties = schema.minProperties;
    if (schema.maxProperties !== undefined) result.maxProperties = schema.maxProperties;
    return result;
  }

  private convertArray(schema: JSONSchema7): GrammarSchema {
    const result: GrammarSchema = { type: 'array' };
    const prefixItems = (schema as { prefixItems?: JSONSchema7Definition[] }).prefixItems;
    if (Array.isArray(schema.items)) {
      result.prefixItems = schema.items.map((item) => this.convert(item));
      if (schema.additionalItems === false) result.maxItems = schema.items.length;
      else if (typeof schema.additionalItems === 'object') result.items = this.convert(schema.additionalItems);
    } else {
      if (prefixItems !== undefined) result.prefixItems = prefixItems.map((item) => this.convert(item));
      if (schema.items !== undefined && schema.items !== true) result.items = this.convert(schema.items);
    }
    if (schema.minItems !== undefined) result.minItems = schema.minItems;
    if (schema.maxItems !== undefined) result.maxItems = Math.min(schema.maxItems, (result.maxItems as number | undefined) ?? Infinity);
    return result;
  }

  private alternatives(options: GrammarSchema[]): GrammarSchema {
    return options.length === 1 ? (options[0] as GrammarSchema) : { oneOf: options };
  }
}

function convertString(schema: JSONSchema7): GrammarSchema {
  if (schema.format !== undefined && SUPPORTED_STRING_FORMATS.has(schema.format)) return { type: 'string', format: schema.format };
  const result: GrammarSchema = { type: 'string' };
  if (schema.minLength !== undefined) result.minLength = schema.minLength;
  if (schema.maxLength !== undefined) result.maxLength = schema.maxLength;
  return result;
}

/** Integer ranges the grammar can list (up to this many values) become an enum, so bounds hold. */
const MAX_LISTED_INTEGERS = 101;

function convertInteger(schema: JSONSchema7): GrammarSchema {
  const lowest = Math.max(
    schema.minimum === undefined ? -Infinity : Math.ceil(schema.minimum),
    schema.exclusiveMinimum === undefined ? -Infinity : Math.floor(schema.exclusiveMinimum) + 1,
  );
  const highest = Math.min(
    schema.maximum === undefined ? Infinity : Math.floor(schema.maximum),
    schema.exclusiveMaximum === undefined ? Infinity : Math.ceil(schema.exclusiveMaximum) - 1,
  );
  const count = highest - lowest + 1;
  if (!Number.isFinite(count) || count < 1 || count > MAX_LISTED_INTEGERS) return { type: 'integer' };
  return { enum: Array.from({ length: count }, (_, index) => lowest + index) };
}

function typeNames(schema: JSONSchema7): JSONSchema7TypeName[] {
  if (schema.type !== undefined) return Array.isArray(schema.type) ? [...new Set(schema.type)] : [schema.type];
  if (schema.properties !== undefined || schema.additionalProperties !== undefined) return ['object'];
  if (schema.items !== undefined || (schema as { prefixItems?: unknown }).prefixItems !== undefined) return ['array'];
  return [];
}

function withDescription(converted: GrammarSchema, description: string | undefined): GrammarSchema {
  if (description === undefined || converted === ANY_JSON_GRAMMAR_SCHEMA || '$ref' in converted) return converted;
  return { ...converted, description };
}

function isPrimitive(value: unknown): value is Primitive {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
