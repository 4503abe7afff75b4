import { contractsRoot } from '@vigil/contracts';
import { Enum, MapField, Type, type Field } from 'protobufjs';

type Schema = Record<string, unknown>;

const INTEGER32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INTEGER64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/**
 * OpenAPI component schemas for the vigil.v1 contracts, derived from the same descriptor the
 * codecs use, so the API documentation cannot drift from the messages it returns.
 */
export function contractSchemas(): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const ns = contractsRoot.lookup('vigil.v1');
  if (!ns || !('nestedArray' in ns)) return out;
  for (const obj of (ns as { nestedArray: unknown[] }).nestedArray) {
    if (obj instanceof Enum) out[obj.name] = { type: 'string', enum: Object.keys(obj.values) };
    if (obj instanceof Type)
      out[obj.name] = {
        type: 'object',
        properties: Object.fromEntries(obj.fieldsArray.map((f) => [f.name, fieldSchema(f)])),
      };
  }
  return out;
}

function fieldSchema(f: Field): Schema {
  const one = single(f);
  if (f instanceof MapField) return { type: 'object', additionalProperties: one };
  if (f.repeated) return { type: 'array', items: one };
  return one;
}

function single(f: Field): Schema {
  const r = f.resolvedType;
  if (r) return { $ref: `#/components/schemas/${r.name}` };
  if (INTEGER32.has(f.type)) return { type: 'integer' };
  if (INTEGER64.has(f.type)) return { type: 'string', pattern: '^-?\\d+$', description: '64-bit integer' };
  if (f.type === 'bool') return { type: 'boolean' };
  if (f.type === 'double' || f.type === 'float') return { type: 'number' };
  if (f.type === 'bytes') return { type: 'string', format: 'byte' };
  return { type: 'string' };
}
