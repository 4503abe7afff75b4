/** Shape checks shared by the filter compilers: a request is untrusted input, not typed data. */
import { FilterError } from './errors';
import { isObject } from './event-type';
import { EVENT_TYPE_NAMES, type EventTypeName } from './types';

/** Absent, null and [] are all "not set", as after protobuf decoding. */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

export function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new FilterError(path, `expected an object, got ${describe(value)}`);
  return value;
}

/** Rejects keys that are not fields of the message, suggesting the snake_case name for a camelCase one. */
export function expectKnownKeys(value: Record<string, unknown>, known: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const hint = snake !== key && known.includes(snake) ? ` (did you mean "${snake}"?)` : '';
    throw new FilterError(path, `unknown field "${key}"${hint}`);
  }
}

export function stringList(value: unknown, path: string): string[] {
  if (isUnset(value)) return [];
  if (!Array.isArray(value)) throw new FilterError(path, `expected a list of strings, got ${describe(value)}`);
  value.forEach((v, i) => {
    if (typeof v !== 'string') throw new FilterError(`${path}[${i}]`, `expected a string, got ${describe(v)}`);
  });
  return value as string[];
}

export function uint32List(value: unknown, path: string): number[] {
  if (isUnset(value)) return [];
  if (!Array.isArray(value)) throw new FilterError(path, `expected a list of process IDs, got ${describe(value)}`);
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new FilterError(`${path}[${i}]`, `expected a uint32 process ID, got ${describe(v)}`);
    }
  });
  return value as number[];
}

export function optionalBool(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new FilterError(path, `expected true or false, got ${describe(value)}`);
  return value;
}

export function eventTypeList(value: unknown, path: string): EventTypeName[] {
  return stringList(value, path).map((name, i) => {
    if (!(EVENT_TYPE_NAMES as readonly string[]).includes(name)) {
      throw new FilterError(`${path}[${i}]`, `unknown event type "${name}" (one of ${EVENT_TYPE_NAMES.join(', ')})`);
    }
    return name as EventTypeName;
  });
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
