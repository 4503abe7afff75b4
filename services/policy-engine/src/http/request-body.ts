import type { IncomingMessage } from 'node:http';
import type { PolicyMode } from '@vigil/contracts';
import { badRequest, problem, RequestError, type Problem } from '../domain/errors';
import { readNodeSelector } from '../domain/label-selector';
import type { ApplyRequest } from '../domain/policy-api';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

export type HttpRequest = IncomingMessage & { body?: unknown; query?: Record<string, unknown> };

export function mediaType(req: HttpRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function parseMode(raw: unknown, path: string, problems: Problem[]): PolicyMode {
  if (raw === undefined) return 'POLICY_MODE_UNSPECIFIED';
  if (raw === 'enforce') return 'POLICY_MODE_ENFORCE';
  if (raw === 'monitor') return 'POLICY_MODE_MONITOR';
  problems.push(problem(path, `expected "enforce" or "monitor", got ${JSON.stringify(raw)}`));
  return 'POLICY_MODE_UNSPECIFIED';
}

/**
 * The body of a create/update: YAML (the policy itself; ?enabled= and ?mode= alongside) or JSON
 * ({ yaml, enabled?, mode?, nodeSelector? }). Every problem is collected before refusing.
 */
export async function readApplyBody(req: HttpRequest, maxBytes: number): Promise<ApplyRequest> {
  const type = mediaType(req);
  const problems: Problem[] = [];
  if (YAML_TYPES.includes(type)) {
    const query = req.query ?? {};
    for (const key of Object.keys(query))
      if (key !== 'enabled' && key !== 'mode')
        problems.push(problem(`?${key}`, 'unknown query parameter (expected enabled, mode)'));
    const enabled = query['enabled'];
    if (enabled !== undefined && enabled !== 'true' && enabled !== 'false')
      problems.push(problem('?enabled', `expected true or false, got ${JSON.stringify(enabled)}`));
    const mode = parseMode(query['mode'], '?mode', problems);
    const yaml = await readText(req, maxBytes);
    if (problems.length > 0) throw badRequest('invalid request', problems);
    return { yaml, file: 'body', mode, ...(enabled !== undefined ? { enabled: enabled === 'true' } : {}) };
  }
  if (type === 'application/json') {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('invalid request', [
        problem('(body)', 'expected a JSON object { yaml, enabled?, mode?, nodeSelector? }'),
      ]);
    const b = body as Record<string, unknown>;
    for (const key of Object.keys(b))
      if (!['yaml', 'enabled', 'mode', 'nodeSelector'].includes(key))
        problems.push(problem(key, 'unknown field (expected yaml, enabled, mode, nodeSelector)'));
    if (typeof b['yaml'] !== 'string' || b['yaml'].trim() === '')
      problems.push(problem('yaml', 'required: the TracingPolicy as YAML (or JSON) text'));
    else if (Buffer.byteLength(b['yaml']) > maxBytes)
      problems.push(problem('yaml', `${Buffer.byteLength(b['yaml'])} bytes; the limit is ${maxBytes}`));
    if (b['enabled'] !== undefined && typeof b['enabled'] !== 'boolean')
      problems.push(problem('enabled', `expected true or false, got ${JSON.stringify(b['enabled'])}`));
    const mode = parseMode(b['mode'], 'mode', problems);
    const nodeSelector =
      b['nodeSelector'] === undefined ? undefined : readNodeSelector(b['nodeSelector'], 'nodeSelector', problems);
    if (problems.length > 0) throw badRequest('invalid request', problems);
    return {
      yaml: b['yaml'] as string,
      file: 'yaml',
      mode,
      ...(b['enabled'] !== undefined ? { enabled: b['enabled'] as boolean } : {}),
      ...(nodeSelector ? { nodeSelector } : {}),
    };
  }
  throw unsupportedType(type);
}

export function unsupportedType(type: string): RequestError {
  return new RequestError(
    415,
    `${type ? `Content-Type ${type} is not accepted` : 'no Content-Type'}: send the policy as ${YAML_TYPES[0]} or a JSON object as application/json`,
  );
}

/** The raw body as UTF-8 text, refused past maxBytes (by Content-Length first, then by counting). */
async function readText(req: HttpRequest, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw tooLarge(declared, maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume(); // drain the rest so the connection can answer
      throw tooLarge(size, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length === 0)
    throw badRequest('invalid request', [problem('(body)', 'empty: send the TracingPolicy YAML')]);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('invalid request', [problem('(body)', 'not UTF-8 text')]);
  }
}

function tooLarge(size: number, max: number): RequestError {
  return new RequestError(413, `the body is ${size} bytes or more; the limit is ${max} (policyEngine.maxBodyBytes)`);
}
