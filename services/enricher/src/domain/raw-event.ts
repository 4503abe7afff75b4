import { EVENT_KINDS, type GetEventsResponse } from '@vigil/events';

/** Why a message of vigil.events.raw cannot be enriched: the field path and what is wrong. */
export class InvalidEventError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isObject = (v: unknown): v is Record<string, unknown> => kindOf(v) === 'object';

/**
 * Checks what the enricher reads and writes of a raw event — one event message holding process
 * objects — and returns it typed. Other fields pass through untouched: the collector owns them.
 */
export function readRawEvent(value: unknown): GetEventsResponse {
  if (!isObject(value))
    throw new InvalidEventError('(message)', `expected a GetEventsResponse object, got ${kindOf(value)}`);
  const kinds = EVENT_KINDS.filter((k) => value[k] !== undefined && value[k] !== null);
  if (kinds.length !== 1)
    throw new InvalidEventError(
      '(message)',
      kinds.length === 0
        ? `no event: expected one of ${EVENT_KINDS.join(', ')}`
        : `more than one event: ${kinds.join(', ')}`,
    );
  const kind = kinds[0]!;
  const payload = value[kind];
  if (!isObject(payload)) throw new InvalidEventError(kind, `expected an object, got ${kindOf(payload)}`);
  for (const field of ['process', 'parent']) checkProcess(payload[field], `${kind}.${field}`);
  const ancestors = payload['ancestors'];
  if (ancestors !== undefined) {
    if (!Array.isArray(ancestors))
      throw new InvalidEventError(`${kind}.ancestors`, `expected a list, got ${kindOf(ancestors)}`);
    ancestors.forEach((a, i) => checkProcess(a, `${kind}.ancestors[${i}]`, true));
  }
  return value as unknown as GetEventsResponse;
}

function checkProcess(process: unknown, path: string, required = false): void {
  if (process === undefined && !required) return;
  if (!isObject(process)) throw new InvalidEventError(path, `expected a Process object, got ${kindOf(process)}`);
  for (const field of ['docker', 'flags', 'binary', 'arguments', 'exec_id'])
    if (process[field] !== undefined && typeof process[field] !== 'string')
      throw new InvalidEventError(`${path}.${field}`, `expected a string, got ${kindOf(process[field])}`);
  if (process['pod'] !== undefined && !isObject(process['pod']))
    throw new InvalidEventError(`${path}.pod`, `expected a Pod object, got ${kindOf(process['pod'])}`);
}
