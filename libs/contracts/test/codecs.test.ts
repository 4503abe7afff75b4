import { Enum, Type, type Field } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import * as contracts from '../src';
import {
  ContractError,
  contractsCodec,
  contractsRoot,
  PolicyRecordCodec,
  PolicyStatusCodec,
  type MessageCodec,
} from '../src';

/** Every generated codec, found by its export name. */
const codecs = Object.entries(contracts)
  .filter(
    ([name, value]) => name.endsWith('Codec') && typeof value === 'object' && value !== null && 'typeName' in value,
  )
  .map(([name, codec]) => [name, codec as MessageCodec<unknown>] as const);

/** A value of a message type with every field set to something other than its default. */
function sample(type: Type, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const one = (i: number) => sampleValue(field, i, depth);
    if (field.map) out[field.name] = { a: one(1), b: one(2) };
    else if (field.repeated) out[field.name] = [one(1), one(2)];
    else out[field.name] = one(1);
  }
  return out;
}

function sampleValue(field: Field, i: number, depth: number): unknown {
  const r = field.resolvedType;
  if (r instanceof Type) return depth > 3 ? {} : sample(r, depth + 1);
  if (r instanceof Enum) return Object.keys(r.values)[i % Object.keys(r.values).length || 1];
  switch (field.type) {
    case 'string':
      return `${field.name}-${i} ✓`;
    case 'bool':
      return true;
    case 'bytes':
      return Buffer.from([i, 255, 0]);
    case 'double':
    case 'float':
      return 1.5 * i;
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return `-${9007199254740993n + BigInt(i)}`;
    case 'uint64':
    case 'fixed64':
      return `${18446744073709551615n - BigInt(i)}`;
    default:
      return 1000 + i;
  }
}

describe('generated codecs', () => {
  it('exist for every message of the descriptor', () => {
    const types: string[] = [];
    const walk = (ns: { nestedArray: unknown[] }) => {
      for (const o of ns.nestedArray) {
        if (o instanceof Type) types.push(o.fullName.slice(1));
        if (o && typeof o === 'object' && 'nestedArray' in o) walk(o as { nestedArray: unknown[] });
      }
    };
    walk(contractsRoot);
    expect(codecs.map(([, c]) => c.typeName).sort()).toEqual(types.sort());
    expect(types).toContain('vigil.v1.PolicyRecord');
  });

  it.each(codecs)('%s round-trips a value with every field set', (_name, codec) => {
    const value = sample(contractsRoot.lookupType(codec.typeName));
    const bytes = codec.encode(value);
    expect(codec.decode(bytes)).toEqual(value);
  });

  it('decodes an empty message with every scalar at its default and absent message fields left out', () => {
    const record = PolicyRecordCodec.decode(PolicyRecordCodec.encode({ id: 'p' } as never));
    expect(record).toMatchObject({ id: 'p', version: 0, enabled: false, mode: 'POLICY_MODE_UNSPECIFIED', audit: [] });
    expect('node_selector' in record).toBe(false);
  });

  it('keeps 64-bit counters exact as strings', () => {
    const status = {
      node: 'n1',
      policy_id: 'p',
      counters: { calls: '18446744073709551615', matched: '9007199254740993' },
    };
    expect(PolicyStatusCodec.decode(PolicyStatusCodec.encode(status as never)).counters).toEqual(status.counters);
  });

  it('refuses a wrong value naming every field at fault', () => {
    const bad = {
      id: 7,
      version: -1,
      mode: 'ENFORCE',
      node_selector: { match_expressions: [{ key: 'zone', operator: 3 }] },
      audit: [{ version: 1.5 }],
      colour: 'red',
    };
    let error: unknown;
    try {
      PolicyRecordCodec.encode(bad as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).problems).toEqual([
      'colour: unknown field of vigil.v1.PolicyRecord (fields: id, name, namespace, kind, version, yaml, yaml_sha256, enabled, mode, node_selector, created_by, created_at, updated_by, updated_at, audit, audit_dropped)',
      'id: expected a string, got 7',
      'version: expected a uint32 (an integer in [0, 4294967295]), got -1',
      'mode: expected one of POLICY_MODE_UNSPECIFIED, POLICY_MODE_ENFORCE, POLICY_MODE_MONITOR (vigil.v1.PolicyMode), got "ENFORCE"',
      'node_selector.match_expressions[0].operator: expected a string, got 3',
      'audit[0].version: expected a uint32 (an integer in [0, 4294967295]), got 1.5',
    ]);
    expect((error as Error).message).toMatch(/^vigil\.v1\.PolicyRecord: cannot encode: colour: unknown field/);
  });

  it('refuses a 64-bit value that is not a decimal string in range', () => {
    expect(PolicyStatusCodec.check({ counters: { calls: 12 } })).toEqual([
      'counters["calls"]: expected a uint64 as a decimal string (in [0, 18446744073709551615]), got 12',
    ]);
    expect(PolicyStatusCodec.check({ counters: { calls: '18446744073709551616' } })).toHaveLength(1);
  });

  it('refuses bytes that are not the message, with the reason', () => {
    expect(() => PolicyRecordCodec.decode(Buffer.from([0x0a, 0x10, 0x41]))).toThrow(
      /^vigil\.v1\.PolicyRecord: cannot decode 3 bytes: index out of range/,
    );
  });

  it('refuses an enum number this version does not know', () => {
    // field 9 (mode), varint 7
    const bytes = Buffer.concat([PolicyRecordCodec.encode({ id: 'p' } as never), Buffer.from([0x48, 0x07])]);
    expect(() => PolicyRecordCodec.decode(bytes)).toThrow(/mode: expected one of POLICY_MODE_UNSPECIFIED.*got 7/);
  });
});

describe('contractsCodec (the bus codec)', () => {
  it('carries protobuf on the policy topics and JSON elsewhere', () => {
    const record = { id: 'p', name: 'p', version: 3, enabled: true };
    const bytes = contractsCodec.encode(record, 'vigil.policies');
    expect(bytes).toEqual(PolicyRecordCodec.encode(record as never));
    expect(contractsCodec.decode(bytes, 'vigil.policies')).toMatchObject(record);
    expect(contractsCodec.encode({ a: 1 }, 'vigil.events.raw').toString()).toBe('{"a":1}');
    expect(contractsCodec.decode(Buffer.from('{"a":1}'), 'vigil.events.raw')).toEqual({ a: 1 });
  });

  it('writes a tombstone (null) as zero bytes and reads zero bytes back as null', () => {
    expect(contractsCodec.encode(null, 'vigil.policies')).toHaveLength(0);
    expect(contractsCodec.decode(Buffer.alloc(0), 'vigil.policy-status')).toBeNull();
  });

  it('names the topic when bytes do not decode (the bus dead-letters them with this reason)', () => {
    expect(() => contractsCodec.decode(Buffer.from('{"id":"p"}'), 'vigil.policies')).toThrow(
      /^vigil\.v1\.PolicyRecord: on vigil\.policies: /,
    );
  });
});
