import fs from 'node:fs';
import path from 'node:path';
import { Root, type INamespace } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { tetragonDescriptor, tetragonRoot } from '../src';

// Tetragon's own descriptor (api/v1/tetragon as protobufjs JSON): the fact sheet our proto/tetragon
// must match, field for field, so a client built for Tetragon works unchanged against Vigil.
const TETRAGON_API =
  process.env['VIGIL_TETRAGON_API'] ?? path.resolve(__dirname, '../../../../shared/tetragon-api/tetragon-api.json');
const theirs = JSON.parse(fs.readFileSync(TETRAGON_API, 'utf8')) as INamespace;

/** Key-sorted JSON, so two descriptors compare by content, not by property order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

describe('proto/tetragon', () => {
  // The descriptor as parsed from proto/tetragon (a Root built from it drops enum value options).
  const ours = (tetragonDescriptor as INamespace).nested!['tetragon'] as INamespace;
  const theirTypes = (theirs.nested!['tetragon'] as INamespace).nested!;

  it('declares every message, enum and service of Tetragon with the same names, numbers, types and options', () => {
    const differing = Object.keys({ ...theirTypes, ...ours.nested }).filter(
      (name) => canonical(ours.nested![name]) !== canonical(theirTypes[name]),
    );
    expect(differing).toEqual([]);
  });

  it('encodes a GetEventsResponse to the same bytes as Tetragon’s schema, and decodes Tetragon’s bytes', () => {
    // Tetragon's descriptor names the well-known google.protobuf types without defining them.
    const google = (tetragonDescriptor as INamespace).nested!['google']!;
    const tetragon = Root.fromJSON({ nested: { ...theirs.nested, google } });
    const event = {
      process_exec: {
        process: {
          exec_id: 'bm9kZToxOjI=',
          pid: { value: 4242 },
          uid: { value: 0 },
          binary: '/usr/bin/curl',
          arguments: 'https://example.com',
          start_time: { seconds: 1700000000, nanos: 5 },
          pod: { namespace: 'default', name: 'web-1', pod_labels: { app: 'web' } },
        },
      },
      node_name: 'node-a',
      time: { seconds: 1700000001, nanos: 0 },
    };
    const theirType = tetragon.lookupType('tetragon.GetEventsResponse');
    const ourType = tetragonRoot.lookupType('tetragon.GetEventsResponse');
    const theirBytes = theirType.encode(theirType.fromObject(event)).finish();
    expect(Buffer.from(ourType.encode(ourType.fromObject(event)).finish())).toEqual(Buffer.from(theirBytes));
    const back = ourType.toObject(ourType.decode(theirBytes), { longs: String }) as typeof event;
    expect(back.process_exec.process.pod.pod_labels).toEqual({ app: 'web' });
    expect(back.process_exec.process.pid).toEqual({ value: 4242 });
  });
});
