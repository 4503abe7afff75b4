import { describe, expect, it } from 'vitest';
import { EVENT_BODY_MESSAGES, MESSAGE_FIELDS } from '../../src/filters/field-schema';
import { tetragonDescriptor } from '../fixtures';

interface FieldJson {
  type: string;
  rule?: string;
  keyType?: string;
}
type Messages = Record<string, { fields?: Record<string, FieldJson>; values?: unknown }>;

describe('the field schema of field filters', () => {
  const messages = (tetragonDescriptor() as { nested: { tetragon: { nested: Messages } } }).nested.tetragon.nested;

  /** What the schema should say for a descriptor field. */
  const kindOf = (f: FieldJson): string => {
    if (f.keyType) return 'map';
    if (messages[f.type]?.fields) return f.type + (f.rule === 'repeated' ? '[]' : '');
    return 'scalar';
  };

  it('lists every field of every message reachable from an event body, as the descriptor does', () => {
    const expected: Record<string, Record<string, string>> = {};
    const visit = (name: string): void => {
      const fields = messages[name]?.fields;
      if (!fields || expected[name]) return;
      expected[name] = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, kindOf(f)]));
      for (const f of Object.values(fields)) visit(f.type);
    };
    Object.values(EVENT_BODY_MESSAGES).forEach(visit);
    expect(MESSAGE_FIELDS).toEqual(expected);
  });

  it('maps each event type to the message of its oneof member', () => {
    const response = messages['GetEventsResponse']!.fields!;
    for (const [type, message] of Object.entries(EVENT_BODY_MESSAGES)) {
      expect(response[type.toLowerCase()]?.type).toBe(message);
    }
  });
});
