/**
 * Checks that a decoded message has the types the row mapping (libs/store eventToRow) reads,
 * before it is mapped. The mapping trusts field types (`binary ?? ''` keeps a number), so a
 * number where a string belongs would otherwise reach the INSERT and fail the whole batch with a
 * server error that names no event; checked here, the one bad event is dead-lettered with the
 * field path and the rest of the batch is stored. Absent and null fields are fine (protojson
 * omits defaults); required fields (time, one payload) are the mapping's own checks.
 */

type Json = Record<string, unknown>;

/** A field of the wrong type; the message names its path, e.g. process_exec.process.binary. */
class ShapeProblem extends Error {}

const PROCESS_STRINGS = ['exec_id', 'parent_exec_id', 'binary', 'arguments', 'cwd', 'flags'] as const;
const POD_STRINGS = ['namespace', 'name', 'workload', 'workload_kind'] as const;
const HOOK_STRINGS = ['policy_name', 'action', 'return_action', 'function_name', 'subsys', 'event', 'symbol'] as const;
const PAYLOADS = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_uprobe',
  'process_lsm',
] as const;

/** undefined when the message can go to the row mapping; otherwise why not, with the field path. */
export function eventShapeProblem(value: unknown): string | undefined {
  try {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return `not a JSON object: ${describe(value)}`;
    const event = value as Json;
    optionalString(event, 'node_name', '');
    optionalString(event, 'time', '');
    for (const kind of PAYLOADS) {
      const payload = object(event[kind], kind);
      if (payload) checkPayload(payload, kind);
    }
    return undefined;
  } catch (err) {
    if (err instanceof ShapeProblem) return err.message;
    throw err;
  }
}

function checkPayload(payload: Json, path: string): void {
  for (const key of ['process', 'parent'] as const) {
    const p = object(payload[key], `${path}.${key}`);
    if (p) checkProcess(p, `${path}.${key}`);
  }
  const ancestors = array(payload['ancestors'], `${path}.ancestors`);
  ancestors?.forEach((a, i) => {
    const p = object(a, `${path}.ancestors[${i}]`);
    if (p) checkProcess(p, `${path}.ancestors[${i}]`);
  });
  for (const key of HOOK_STRINGS) optionalString(payload, key, path);
  optionalString(payload, 'signal', path);
  optionalString(payload, 'time', path);
  const args = array(payload['args'], `${path}.args`);
  args?.forEach((a, i) => checkArgument(a, `${path}.args[${i}]`));
}

function checkProcess(p: Json, path: string): void {
  for (const key of PROCESS_STRINGS) optionalString(p, key, path);
  const pod = object(p['pod'], `${path}.pod`);
  if (!pod) return;
  for (const key of POD_STRINGS) optionalString(pod, key, `${path}.pod`);
  const labels = object(pod['pod_labels'], `${path}.pod.pod_labels`);
  for (const key of Object.keys(labels ?? {})) optionalString(labels!, key, `${path}.pod.pod_labels`);
  const container = object(pod['container'], `${path}.pod.container`);
  if (!container) return;
  optionalString(container, 'id', `${path}.pod.container`);
  optionalString(container, 'name', `${path}.pod.container`);
  const image = object(container['image'], `${path}.pod.container.image`);
  if (image) optionalString(image, 'name', `${path}.pod.container.image`);
}

function checkArgument(value: unknown, path: string): void {
  // A null argument is not "absent": the mapping reads its fields.
  if (value === null) throw new ShapeProblem(`${path}: expected an object, got null`);
  const arg = object(value, path);
  if (!arg) return;
  const sock = object(arg['sock_arg'], `${path}.sock_arg`);
  if (sock) for (const key of ['family', 'protocol', 'saddr', 'daddr']) optionalString(sock, key, `${path}.sock_arg`);
  const sockaddr = object(arg['sockaddr_arg'], `${path}.sockaddr_arg`);
  if (sockaddr) for (const key of ['family', 'addr']) optionalString(sockaddr, key, `${path}.sockaddr_arg`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const text = JSON.stringify(value) ?? String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

/** The object at `path`, undefined when absent (or null). */
function object(value: unknown, path: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ShapeProblem(`${path}: expected an object, got ${describe(value)}`);
  return value as Json;
}

function array(value: unknown, path: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ShapeProblem(`${path}: expected an array, got ${describe(value)}`);
  return value;
}

function optionalString(parent: Json, key: string, path: string): void {
  const value = parent[key];
  if (value === undefined || value === null || typeof value === 'string') return;
  throw new ShapeProblem(`${path ? `${path}.` : ''}${key}: expected a string, got ${describe(value)}`);
}
