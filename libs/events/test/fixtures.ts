import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProtoDescriptorJson } from '../src/descriptor-check';

/** Tetragon's descriptor, read where the workspace keeps it (override with VIGIL_TETRAGON_API). */
export function tetragonDescriptor(): ProtoDescriptorJson {
  const file =
    process.env['VIGIL_TETRAGON_API'] ?? path.resolve(__dirname, '../../../../shared/tetragon-api/tetragon-api.json');
  return JSON.parse(readFileSync(file, 'utf8')) as ProtoDescriptorJson;
}

/** Tetragon's enum values by name, straight from the descriptor. */
export function descriptorEnum(name: string): Record<string, number> {
  const d = tetragonDescriptor() as {
    nested: { tetragon: { nested: Record<string, { values?: Record<string, number> }> } };
  };
  const values = d.nested.tetragon.nested[name]?.values;
  if (!values) throw new Error(`enum ${name} not in descriptor`);
  return values;
}
