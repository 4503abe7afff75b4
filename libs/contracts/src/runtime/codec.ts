import type { Type } from 'protobufjs';
import { checkMessage } from './check';
import { ContractError } from './errors';
import { contractsRoot } from './root';

/** Binary protobuf for one message type of proto/, on the generated interface T. */
export interface MessageCodec<T> {
  readonly typeName: string;
  /** Checks every field first: a value that does not fit throws ContractError naming each field. */
  encode(value: T): Buffer;
  /** Throws ContractError for bytes that are not this message (or hold enum numbers it does not know). */
  decode(bytes: Uint8Array): T;
  /** Every problem of a value as "<field path>: <reason>"; empty when it encodes. */
  check(value: unknown): string[];
}

const TO_OBJECT = { longs: String, enums: String, defaults: true, arrays: true, objects: true } as const;

export function messageCodec<T>(typeName: string): MessageCodec<T> {
  let type: Type | undefined;
  // Resolved on first use: the generated modules build their codecs at import time, in any order.
  const resolve = (): Type => (type ??= contractsRoot.lookupType(typeName));
  return {
    typeName,
    check: (value) => checkMessage(resolve(), value),
    encode(value) {
      const t = resolve();
      const problems = checkMessage(t, value);
      if (problems.length > 0) throw new ContractError(typeName, problems, 'cannot encode');
      return Buffer.from(t.encode(t.fromObject(value as Record<string, unknown>)).finish());
    },
    decode(bytes) {
      const t = resolve();
      let object: Record<string, unknown>;
      try {
        // A plain Uint8Array view, not a Buffer: protobufjs's Buffer reader cuts a string that runs
        // past the end short instead of failing, so truncated messages would decode "successfully".
        const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        object = t.toObject(t.decode(view), TO_OBJECT);
      } catch (e) {
        throw new ContractError(typeName, [(e as Error).message], `cannot decode ${bytes.length} bytes`);
      }
      dropNulls(object);
      // Enum numbers this version does not know come through as numbers: refuse them here rather
      // than hand consumers a value outside the generated union.
      const problems = checkMessage(t, object);
      if (problems.length > 0) throw new ContractError(typeName, problems, `cannot decode ${bytes.length} bytes`);
      return object as T;
    },
  };
}

/** toObject writes absent message fields as null; the interfaces leave them out. */
function dropNulls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) dropNulls(item);
    return;
  }
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
  const record = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(record)) {
    if (v === null) delete record[k];
    else dropNulls(v);
  }
}
