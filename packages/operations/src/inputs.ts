/**
 * An operation's inputs as people give them: `-f key=value` on the command line, `k=v` in an issue comment, or JSON.
 * Text is read as the type the schema declares (true/false for a boolean, a number for a number), then the schema
 * decides. A refusal names the input and the fix; `setByCaller` lists the inputs given a value other than their default,
 * which is when a per-input access rule applies.
 */
import { z } from 'zod';
import type { Operation } from './registry.js';

export interface InputDescription {
  name: string;
  type: 'string' | 'boolean' | 'number' | 'choice';
  required: boolean;
  default?: string | number | boolean;
  choices?: string[];
  description?: string;
}

export interface OperationDescription {
  name: string;
  description: string;
  inputs: InputDescription[];
  /** The inputs as JSON Schema (input side: fields with defaults are optional). */
  schema: Record<string, unknown>;
}

interface PropertySchema {
  type?: string;
  enum?: string[];
  default?: string | number | boolean;
  description?: string;
}

function jsonSchemaOf(
  operation: Operation,
): { properties: Record<string, PropertySchema>; required: string[] } & Record<string, unknown> {
  const schema = z.toJSONSchema(operation.inputs, { io: 'input' }) as Record<string, unknown>;
  delete schema['$schema'];
  return {
    ...schema,
    properties: (schema['properties'] ?? {}) as Record<string, PropertySchema>,
    required: (schema['required'] ?? []) as string[],
  };
}

export function describeOperation(operation: Operation): OperationDescription {
  const schema = jsonSchemaOf(operation);
  return {
    name: operation.name,
    description: operation.description,
    inputs: Object.entries(schema.properties).map(([name, property]) => ({
      name,
      type: property.enum
        ? 'choice'
        : property.type === 'boolean'
          ? 'boolean'
          : property.type === 'number' || property.type === 'integer'
            ? 'number'
            : 'string',
      required: schema.required.includes(name),
      ...(property.default !== undefined ? { default: property.default } : {}),
      ...(property.enum ? { choices: property.enum } : {}),
      ...(property.description ? { description: property.description } : {}),
    })),
    schema,
  };
}

export interface InputRefusal {
  /** The input at fault, when one is. */
  field?: string;
  error: string;
  fix: string;
}

export type ParsedInputs =
  | {
      ok: true;
      inputs: Record<string, unknown>;
      given: Record<string, string | number | boolean>;
      setByCaller: string[];
    }
  | ({ ok: false } & InputRefusal);

function expected(property: PropertySchema): string {
  if (property.enum) return `one of ${property.enum.join(', ')}`;
  if (property.type === 'boolean') return 'true or false';
  if (property.type === 'number' || property.type === 'integer') return 'a number';
  return 'text';
}

/** Text read as the declared type; anything else is left for the schema to refuse with the input named. */
function coerce(value: unknown, property: PropertySchema): unknown {
  if (typeof value !== 'string') return value;
  if (property.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (
    (property.type === 'number' || property.type === 'integer') &&
    value.trim() !== '' &&
    !Number.isNaN(Number(value))
  )
    return Number(value);
  return value;
}

export function parseInputs(operation: Operation, raw: Record<string, unknown>): ParsedInputs {
  const { properties, required } = jsonSchemaOf(operation);
  const names = Object.keys(properties);
  const list = `${operation.name} takes ${names.map((name) => (required.includes(name) ? name : `${name}?`)).join(', ')}`;
  for (const name of Object.keys(raw)) {
    // Own properties only: `name in properties` would take constructor, toString or __proto__ for inputs.
    if (!Object.hasOwn(properties, name))
      return {
        ok: false,
        field: name,
        error: `unknown input ${JSON.stringify(name)}: ${list}`,
        fix: `drop ${name}, or see \`relforge dispatch --list\``,
      };
  }
  for (const name of required) {
    if (raw[name] === undefined || raw[name] === '')
      return {
        ok: false,
        field: name,
        error: `input ${name}: required (${list})`,
        fix: `give ${name}=<${expected(properties[name] ?? {})}>`,
      };
  }
  const coerced = Object.fromEntries(
    Object.entries(raw).map(([name, value]) => [name, coerce(value, properties[name] ?? {})]),
  );
  const parsed = operation.inputs.safeParse(coerced);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const property = properties[field] ?? {};
    const wrongType = issue?.code === 'invalid_type' || issue?.code === 'invalid_value';
    return {
      ok: false,
      field,
      error: `input ${field}: ${wrongType ? `expected ${expected(property)}, got ${JSON.stringify(raw[field])}` : (issue?.message ?? 'invalid')}`,
      fix: `give ${field}=<${expected(property)}>`,
    };
  }
  const given: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(coerced)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') given[name] = value;
  }
  const setByCaller = Object.keys(given).filter((name) => given[name] !== properties[name]?.default);
  return { ok: true, inputs: parsed.data, given, setByCaller };
}
