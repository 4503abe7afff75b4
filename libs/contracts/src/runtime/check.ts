import { Enum, MapField, Type, type Field } from 'protobufjs';

/**
 * Checks a plain object against a message type the way the generated interfaces describe it
 * (proto field names, enums as value names, 64-bit integers as decimal strings, bytes as
 * Uint8Array) and returns every problem as "<path>: <reason>". protobufjs's own verify expects
 * enum numbers and Long objects, and fromObject coerces silently ("12abc" → 12), so neither can
 * tell a caller which field is wrong.
 */
export function checkMessage(type: Type, value: unknown, path = ''): string[] {
  const problems: string[] = [];
  visitMessage(type, value, path, problems);
  return problems;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const UINT32 = { min: 0, max: 2 ** 32 - 1 };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };

const RANGES32: Record<string, { min: number; max: number }> = {
  int32: INT32,
  sint32: INT32,
  sfixed32: INT32,
  uint32: UINT32,
  fixed32: UINT32,
};
const RANGES64: Record<string, { min: bigint; max: bigint }> = {
  int64: INT64,
  sint64: INT64,
  sfixed64: INT64,
  uint64: UINT64,
  fixed64: UINT64,
};

function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'bigint') return `${value}n`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function visitMessage(type: Type, value: unknown, path: string, problems: string[]): void {
  const where = path || '(message)';
  if (!isPlainObject(value)) {
    problems.push(`${where}: expected an object (${type.fullName.slice(1)}), got ${show(value)}`);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!type.fields[key])
      problems.push(
        `${join(path, key)}: unknown field of ${type.fullName.slice(1)} (fields: ${Object.keys(type.fields).join(', ')})`,
      );
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((f) => value[f.name] !== undefined && value[f.name] !== null);
    if (set.length > 1)
      problems.push(`${join(path, set[1]!.name)}: only one of ${set.map((f) => f.name).join(', ')} may be set`);
  }
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined) continue; // absent = the proto3 default
    visitField(field, v, join(path, field.name), problems);
  }
}

function visitField(field: Field, value: unknown, path: string, problems: string[]): void {
  if (field instanceof MapField) {
    if (!isPlainObject(value)) {
      problems.push(`${path}: expected an object (map<${field.keyType}, ${field.type}>), got ${show(value)}`);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const keyPath = `${path}[${JSON.stringify(k)}]`;
      if (field.keyType !== 'string' && field.keyType !== 'bool' && !/^-?\d+$/.test(k))
        problems.push(`${keyPath}: map key must be a ${field.keyType}`);
      visitSingle(field, v, keyPath, problems);
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      problems.push(`${path}: expected an array, got ${show(value)}`);
      return;
    }
    value.forEach((item, i) => visitSingle(field, item, `${path}[${i}]`, problems));
    return;
  }
  // A message field (or proto3 optional) set to null means "absent", as protobufjs writes it.
  if (value === null && (field.resolvedType instanceof Type || field.partOf)) return;
  visitSingle(field, value, path, problems);
}

function visitSingle(field: Field, value: unknown, path: string, problems: string[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof Type) {
    visitMessage(resolved, value, path, problems);
    return;
  }
  if (resolved instanceof Enum) {
    if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(resolved.values, value))
      problems.push(
        `${path}: expected one of ${Object.keys(resolved.values).join(', ')} (${resolved.fullName.slice(1)}), got ${show(value)}`,
      );
    return;
  }
  const t = field.type;
  const range32 = RANGES32[t];
  const range64 = RANGES64[t];
  if (t === 'string') {
    if (typeof value !== 'string') problems.push(`${path}: expected a string, got ${show(value)}`);
  } else if (t === 'bool') {
    if (typeof value !== 'boolean') problems.push(`${path}: expected true or false, got ${show(value)}`);
  } else if (t === 'bytes') {
    if (!(value instanceof Uint8Array)) problems.push(`${path}: expected bytes (a Uint8Array), got ${show(value)}`);
  } else if (t === 'double' || t === 'float') {
    if (typeof value !== 'number') problems.push(`${path}: expected a number, got ${show(value)}`);
  } else if (range32) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range32.min || value > range32.max)
      problems.push(`${path}: expected a ${t} (an integer in [${range32.min}, ${range32.max}]), got ${show(value)}`);
  } else if (range64) {
    const ok = typeof value === 'string' && /^-?\d{1,20}$/.test(value);
    const n = ok ? BigInt(value) : undefined;
    if (n === undefined || n < range64.min || n > range64.max)
      problems.push(
        `${path}: expected a ${t} as a decimal string (in [${range64.min}, ${range64.max}]), got ${show(value)}`,
      );
  } else {
    problems.push(`${path}: field type ${t} is not supported by the contracts runtime`);
  }
}
