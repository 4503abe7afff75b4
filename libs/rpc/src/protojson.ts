/**
 * protobufjs messages ⇄ protojson objects (original field names), the form Vigil's events and API
 * objects have everywhere else (libs/events): wrappers as plain values, Timestamps as RFC 3339,
 * Durations as "1.5s", FieldMasks as {paths}, enums as names, 64-bit integers as strings, zero
 * values and empty lists left out. protobufjs' own toObject/fromObject do the scalars; this walks
 * the well-known types it leaves as messages.
 */
import { epochNsFromTimestamp, timestampFromEpochNs } from '@vigil/events';
import { Type, type Message } from 'protobufjs';

type JsonObject = Record<string, unknown>;

const WRAPPER_ZERO: Record<string, unknown> = {
  '.google.protobuf.BoolValue': false,
  '.google.protobuf.StringValue': '',
  '.google.protobuf.BytesValue': '',
  '.google.protobuf.Int32Value': 0,
  '.google.protobuf.UInt32Value': 0,
  '.google.protobuf.FloatValue': 0,
  '.google.protobuf.DoubleValue': 0,
  '.google.protobuf.Int64Value': '0',
  '.google.protobuf.UInt64Value': '0',
};

const TO_OBJECT = { longs: String, enums: String, bytes: String, defaults: false, arrays: false } as const;

/** A decoded message as a protojson object. */
export function messageToJson(type: Type, message: Message): JsonObject {
  return objectToJson(type, type.toObject(message, TO_OBJECT));
}

/** A protojson object as a message of `type`, ready to encode. */
export function messageFromJson(type: Type, json: JsonObject): Message {
  return type.fromObject(objectFromJson(type, json));
}

function objectToJson(type: Type, object: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(object)) {
    const field = type.fields[name];
    if (!field || value === undefined || value === null) continue;
    const rt = field.resolvedType;
    if (!(rt instanceof Type)) out[name] = value;
    else out[name] = mapField(field.map, field.repeated, value, (v) => valueToJson(rt, v as JsonObject));
  }
  return out;
}

function valueToJson(type: Type, value: JsonObject): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return rfc3339(BigInt((value['seconds'] as string | undefined) ?? '0'), (value['nanos'] as number) ?? 0);
    case '.google.protobuf.Duration':
      return durationText(BigInt((value['seconds'] as string | undefined) ?? '0'), (value['nanos'] as number) ?? 0);
    case '.google.protobuf.FieldMask':
      return { paths: (value['paths'] as string[] | undefined) ?? [] };
    default:
      if (type.fullName in WRAPPER_ZERO) return value['value'] ?? WRAPPER_ZERO[type.fullName];
      return objectToJson(type, value);
  }
}

function objectFromJson(type: Type, json: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(json)) {
    const field = type.fields[name];
    if (!field || value === undefined || value === null) continue;
    const rt = field.resolvedType;
    if (!(rt instanceof Type)) out[name] = value;
    else out[name] = mapField(field.map, field.repeated, value, (v) => valueFromJson(rt, v));
  }
  return out;
}

function valueFromJson(type: Type, value: unknown): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return parseRfc3339(value as string);
    case '.google.protobuf.Duration':
      return parseDuration(value as string);
    case '.google.protobuf.FieldMask':
      return value;
    default:
      if (type.fullName in WRAPPER_ZERO) return { value };
      return objectFromJson(type, value as JsonObject);
  }
}

function mapField(isMap: boolean, repeated: boolean, value: unknown, convert: (v: unknown) => unknown): unknown {
  if (isMap) return Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, convert(v)]));
  if (repeated) return (value as unknown[]).map(convert);
  return convert(value);
}

const NS_PER_SEC = 1_000_000_000n;

/** Timestamp fields as libs/events writes and reads them (timestamp.ts), from and to seconds + nanos. */
function rfc3339(seconds: bigint, nanos: number): string {
  return timestampFromEpochNs(seconds * NS_PER_SEC + BigInt(nanos));
}

function parseRfc3339(text: string): { seconds: string; nanos: number } {
  const ns = epochNsFromTimestamp(text);
  if (ns === undefined) throw new TypeError(`not an RFC 3339 timestamp: ${JSON.stringify(text)}`);
  let seconds = ns / NS_PER_SEC;
  let nanos = ns % NS_PER_SEC;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NS_PER_SEC;
  }
  return { seconds: String(seconds), nanos: Number(nanos) };
}

function durationText(seconds: bigint, nanos: number): string {
  if (nanos === 0) return `${seconds}s`;
  const sign = seconds < 0n || nanos < 0 ? '-' : '';
  const abs = (seconds < 0n ? -seconds : seconds).toString();
  return `${sign}${abs}.${String(Math.abs(nanos)).padStart(9, '0').replace(/0+$/, '')}s`;
}

function parseDuration(text: string): { seconds: string; nanos: number } {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) throw new TypeError(`not a protojson duration: ${JSON.stringify(text)}`);
  const sign = m[1] ? -1 : 1;
  return { seconds: String(sign * Number(m[2])), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
}
