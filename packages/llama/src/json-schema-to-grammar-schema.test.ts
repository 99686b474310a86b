import type { JSONSchema7 } from '@ai-sdk/provider';
import { getLlama } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ANY_JSON_GRAMMAR_SCHEMA, jsonSchemaToGrammarSchema } from './json-schema-to-grammar-schema.js';

const convert = (schema: JSONSchema7 | boolean) => jsonSchemaToGrammarSchema(schema) as unknown;

describe('jsonSchemaToGrammarSchema', () => {
  it('keeps declared properties only and drops keywords a grammar cannot express', () => {
    expect(
      convert({
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { name: { type: 'string', pattern: '^a', minLength: 1, maxLength: 5 }, size: { type: 'number', minimum: 0 } },
        required: ['name'],
      }),
    ).toEqual({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1, maxLength: 5 }, size: { type: 'number' } },
    });
  });

  it('turns an object without declared properties into a free map unless extras are forbidden', () => {
    expect(convert({ type: 'object' })).toEqual({ type: 'object', additionalProperties: true });
    expect(convert({ type: 'object', properties: {}, additionalProperties: false })).toEqual({ type: 'object' });
    expect(convert({ type: 'object', additionalProperties: { type: 'integer' } })).toEqual({
      type: 'object',
      additionalProperties: { type: 'integer' },
    });
  });

  it('maps anyOf, oneOf and type lists to oneOf, and keeps const and enum', () => {
    expect(convert({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toEqual({ oneOf: [{ type: 'string' }, { type: 'null' }] });
    expect(convert({ type: ['string', 'null'], maxLength: 3 })).toEqual({ oneOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }] });
    expect(convert({ type: ['number', 'boolean'] })).toEqual({ type: ['number', 'boolean'] });
    expect(convert({ const: 'x' })).toEqual({ const: 'x' });
    expect(convert({ enum: ['a', 1, null] })).toEqual({ enum: ['a', 1, null] });
  });

  it('lists small integer ranges so that the bounds hold, and leaves large ones open', () => {
    expect(convert({ type: 'integer', minimum: 1, maximum: 4 })).toEqual({ enum: [1, 2, 3, 4] });
    expect(convert({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 3 })).toEqual({ enum: [1, 2] });
    expect(convert({ type: 'integer', minimum: 0, maximum: 1000 })).toEqual({ type: 'integer' });
    expect(convert({ type: 'integer' })).toEqual({ type: 'integer' });
  });

  it('converts arrays, including draft-7 tuples', () => {
    expect(convert({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 })).toEqual({
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      maxItems: 2,
    });
    expect(convert({ type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false })).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      maxItems: 2,
    });
  });

  it('treats empty and true schemas as any JSON value', () => {
    expect(convert({})).toBe(ANY_JSON_GRAMMAR_SCHEMA);
    expect(convert(true)).toBe(ANY_JSON_GRAMMAR_SCHEMA);
  });

  it('merges allOf object parts', () => {
    expect(
      convert({
        allOf: [
          { type: 'object', properties: { a: { type: 'string' } } },
          { type: 'object', properties: { b: { type: 'boolean' } } },
        ],
      }),
    ).toEqual({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'boolean' } } });
  });

  it('rewrites definitions references to $defs, including recursive ones', () => {
    const converted = convert({
      type: 'object',
      properties: { root: { $ref: '#/definitions/node' } },
      definitions: {
        node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/node' } } } },
      },
    });
    expect(converted).toEqual({
      type: 'object',
      properties: { root: { $ref: '#/$defs/node' } },
      $defs: {
        node: {
          type: 'object',
          properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
        },
      },
    });
    expect(convert({ $ref: '#/definitions/missing' })).toBe(ANY_JSON_GRAMMAR_SCHEMA);
  });

  it('yields schemas node-llama-cpp compiles to grammars, for typical zod tool schemas', async () => {
    const llama = await getLlama({ gpu: false });
    interface Tree {
      label: string;
      children: Tree[];
    }
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ label: z.string(), children: z.array(tree) }));
    const schemas = [
      z.object({ new_memory: z.string() }),
      z.object({}),
      z.object({ when: z.iso.datetime(), count: z.number().int().min(0).max(3).optional(), kind: z.enum(['a', 'b']).nullable() }),
      z.object({ items: z.array(z.union([z.string(), z.number()])), meta: z.record(z.string(), z.unknown()) }),
      z.object({ tree }),
    ];
    for (const schema of schemas) {
      const grammar = await llama.createGrammarForJsonSchema(
        jsonSchemaToGrammarSchema(z.toJSONSchema(schema, { target: 'draft-7' }) as JSONSchema7) as never,
      );
      expect(grammar.grammar).toContain('root ::=');
    }
  });
});
