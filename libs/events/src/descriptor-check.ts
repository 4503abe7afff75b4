/**
 * Checks a JSON value against a protobuf descriptor in protobufjs JSON form (such as
 * shared/tetragon-api/tetragon-api.json): every key must be a field of its message, and every
 * value must have the protojson form of the field's type (wrappers as plain values, Timestamps
 * as RFC 3339, enums as names, 64-bit integers as strings) and must not be a value protojson
 * would have omitted (implicit-presence zero values, empty repeated fields). The descriptor is
 * a parameter, not bundled: it is the interface fact sheet, not this project's source of truth.
 */

interface FieldDescriptor {
  type: string;
  id: number;
  rule?: string;
  keyType?: string;
  options?: Record<string, unknown>;
}
interface TypeDescriptor {
  fields?: Record<string, FieldDescriptor>;
  values?: Record<string, number>;
  oneofs?: Record<string, { oneof: string[] }>;
  nested?: Record<string, TypeDescriptor>;
}
export interface ProtoDescriptorJson {
  nested?: Record<string, TypeDescriptor>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$/;
const INT32_TYPES = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const INT64_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

/**
 * Problems found in `value` read as message `typeName` of package `pkg`; empty when it conforms.
 * Each problem names the JSON path, e.g. "process_exec.process.pidd: no such field in Process".
 */
export function descriptorProblems(
  descriptor: ProtoDescriptorJson,
  pkg: string,
  typeName: string,
  value: unknown,
): string[] {
  const problems: string[] = [];
  const scope = lookupPackage(descriptor, pkg);
  const resolve = (name: string): TypeDescriptor | undefined => scope[name] ?? lookupQualified(descriptor, name);

  const checkMessage = (name: string, v: unknown, at: string): void => {
    const type = resolve(name);
    if (!type?.fields) {
      problems.push(`${at}: unknown message type ${name}`);
      return;
    }
    if (!isObject(v)) {
      problems.push(`${at}: expected an object for ${name}`);
      return;
    }
    for (const [key, fieldValue] of Object.entries(v)) {
      const field = type.fields[key];
      const path = at ? `${at}.${key}` : key;
      if (!field) problems.push(`${path}: no such field in ${name}`);
      else checkField(field, fieldValue, path);
    }
    for (const [oneofName, { oneof }] of Object.entries(type.oneofs ?? {})) {
      const set = oneof.filter((member) => member in v);
      if (set.length > 1) problems.push(`${at || name}: oneof ${oneofName} has ${set.join(' and ')}`);
    }
  };

  const checkField = (field: FieldDescriptor, v: unknown, path: string): void => {
    if (field.keyType) {
      if (!isObject(v)) problems.push(`${path}: expected a map object`);
      else for (const [k, item] of Object.entries(v)) checkSingle(field.type, item, `${path}[${k}]`, true);
      return;
    }
    if (field.rule === 'repeated') {
      if (!Array.isArray(v)) problems.push(`${path}: expected an array`);
      else if (v.length === 0) problems.push(`${path}: empty repeated field (protojson omits it)`);
      else v.forEach((item, i) => checkSingle(field.type, item, `${path}[${i}]`, true));
      return;
    }
    checkSingle(field.type, v, path, field.options?.['proto3_optional'] === true);
  };

  const checkSingle = (typeName: string, v: unknown, path: string, zeroAllowed: boolean): void => {
    const bad = (what: string): void => void problems.push(`${path}: ${what} (got ${JSON.stringify(v)})`);
    switch (typeName) {
      case 'google.protobuf.UInt32Value':
        if (!isUint(v, 0xffffffff)) bad('expected a uint32 number (UInt32Value)');
        return;
      case 'google.protobuf.Int32Value':
        if (!Number.isInteger(v)) bad('expected an int32 number (Int32Value)');
        return;
      case 'google.protobuf.BoolValue':
        if (typeof v !== 'boolean') bad('expected a boolean (BoolValue)');
        return;
      case 'google.protobuf.Timestamp':
        if (typeof v !== 'string' || !RFC3339.test(v)) bad('expected an RFC 3339 UTC timestamp');
        return;
      case 'google.protobuf.Duration':
        if (typeof v !== 'string' || !/^-?\d+(\.\d+)?s$/.test(v)) bad('expected a duration like "1.5s"');
        return;
      case 'string':
        if (typeof v !== 'string') bad('expected a string');
        else if (v === '' && !zeroAllowed) bad('empty string (protojson omits it)');
        return;
      case 'bool':
        if (typeof v !== 'boolean') bad('expected a boolean');
        else if (!v && !zeroAllowed) bad('false (protojson omits it)');
        return;
      case 'bytes':
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) bad('expected base64');
        return;
      case 'double':
      case 'float':
        if (typeof v !== 'number') bad('expected a number');
        else if (v === 0 && !zeroAllowed) bad('0 (protojson omits it)');
        return;
    }
    if (INT32_TYPES.has(typeName)) {
      if (!Number.isInteger(v)) bad(`expected an integer (${typeName})`);
      else if (typeName.startsWith('uint') || typeName === 'fixed32') {
        if (!isUint(v, 0xffffffff)) bad(`out of range for ${typeName}`);
      }
      if (v === 0 && !zeroAllowed) bad('0 (protojson omits it)');
      return;
    }
    if (INT64_TYPES.has(typeName)) {
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) bad(`expected a decimal string (${typeName})`);
      else if (v === '0' && !zeroAllowed) bad('"0" (protojson omits it)');
      return;
    }
    const type = resolve(typeName);
    if (type?.values) {
      const names = Object.keys(type.values);
      if (typeof v === 'string') {
        if (!names.includes(v)) bad(`not a value of enum ${typeName}`);
        else if (type.values[v] === 0 && !zeroAllowed) bad('enum zero value (protojson omits it)');
      } else if (!Number.isInteger(v)) bad(`expected an enum name of ${typeName}`);
      return;
    }
    checkMessage(typeName, v, path);
  };

  checkMessage(typeName, value, '');
  return problems;
}

function lookupPackage(descriptor: ProtoDescriptorJson, pkg: string): Record<string, TypeDescriptor> {
  let node: TypeDescriptor | undefined = { nested: descriptor.nested ?? {} };
  for (const part of pkg.split('.')) node = node?.nested?.[part];
  return node?.nested ?? {};
}

function lookupQualified(descriptor: ProtoDescriptorJson, name: string): TypeDescriptor | undefined {
  const parts = name.split('.');
  const last = parts.pop() as string;
  return lookupPackage(descriptor, parts.join('.'))[last];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUint(v: unknown, max: number): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
}
