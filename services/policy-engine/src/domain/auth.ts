import { createHash } from 'node:crypto';
import type { PolicyKind } from '@vigil/policy';
import { RequestError } from './errors';

/** Who is calling: a subject and what it may touch. */
export interface Principal {
  subject: string;
  /** Cluster-wide: every policy, both kinds. */
  admin: boolean;
  /** Otherwise: only TracingPolicyNamespaced policies of these namespaces. */
  namespaces: string[];
}

/** What a request touches: a policy's kind and namespace. */
export interface PolicyScope {
  kind: PolicyKind | string;
  namespace: string;
}

/**
 * Token configuration (a file or VIGIL_POLICY_ENGINE_TOKENS), JSON:
 *   { "tokens": [ { "subject": "alice", "token": "…", "admin": true },
 *                 { "subject": "team-a-ci", "sha256": "<hex of the token>", "namespaces": ["team-a"] } ] }
 * `sha256` keeps the secret itself out of the file. Every problem is reported, with its path.
 */
export class TokenConfigError extends Error {
  override name = 'TokenConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.length} problem(s) in the token configuration:\n  ${problems.join('\n  ')}`);
  }
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MIN_TOKEN = 16;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export class TokenAuth {
  /** SHA-256 (hex) of each token → its principal: lookups never compare secrets directly. */
  private constructor(private readonly byDigest: ReadonlyMap<string, Principal>) {}

  get size(): number {
    return this.byDigest.size;
  }

  static parse(text: string, source: string): TokenAuth {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new TokenConfigError(source, [`not JSON: ${(e as Error).message}`]);
    }
    return TokenAuth.fromValue(raw, source);
  }

  static fromValue(raw: unknown, source: string): TokenAuth {
    const problems: string[] = [];
    const list = Array.isArray(raw) ? raw : isObject(raw) ? raw['tokens'] : undefined;
    const base = Array.isArray(raw) ? '' : 'tokens';
    if (!Array.isArray(list)) throw new TokenConfigError(source, ['expected {"tokens": [...]} or a list of tokens']);
    const byDigest = new Map<string, Principal>();
    list.forEach((entry, i) => {
      const at = `${base}[${i}]`;
      const before = problems.length;
      if (!isObject(entry)) {
        problems.push(`${at}: expected an object with subject, token or sha256, and admin or namespaces`);
        return;
      }
      for (const k of Object.keys(entry))
        if (!['subject', 'token', 'sha256', 'admin', 'namespaces'].includes(k))
          problems.push(`${at}.${k}: unknown field (expected subject, token, sha256, admin, namespaces)`);
      const { subject, token, sha256: digest, admin, namespaces } = entry;
      if (typeof subject !== 'string' || subject.trim() === '')
        problems.push(`${at}.subject: expected a non-empty string (who the token is, recorded in the audit trail)`);
      if ((token === undefined) === (digest === undefined))
        problems.push(`${at}: expected exactly one of token, sha256`);
      else if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN || /\s/.test(token)))
        problems.push(`${at}.token: expected a string of at least ${MIN_TOKEN} characters without spaces`);
      else if (digest !== undefined && (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)))
        problems.push(`${at}.sha256: expected 64 lower-case hex digits (sha256sum of the token)`);
      if ((admin === true) === (namespaces !== undefined))
        problems.push(`${at}: expected exactly one of "admin": true (cluster-wide) or "namespaces": [...]`);
      else if (admin !== undefined && admin !== true)
        problems.push(`${at}.admin: expected true (leave it out and list namespaces for a namespaced token)`);
      else if (
        namespaces !== undefined &&
        (!Array.isArray(namespaces) ||
          namespaces.length === 0 ||
          namespaces.some((n) => typeof n !== 'string' || !NAMESPACE.test(n)))
      )
        problems.push(`${at}.namespaces: expected a non-empty list of namespace names (DNS-1123 labels)`);
      if (problems.length > before) return;
      const key = typeof token === 'string' ? sha256(token) : (digest as string);
      if (byDigest.has(key)) {
        problems.push(`${at}: the same token as subject "${byDigest.get(key)!.subject}"`);
        return;
      }
      byDigest.set(key, {
        subject: (subject as string).trim(),
        admin: admin === true,
        namespaces: admin === true ? [] : [...(namespaces as string[])],
      });
    });
    if (problems.length > 0) throw new TokenConfigError(source, problems);
    return new TokenAuth(byDigest);
  }

  static none(): TokenAuth {
    return new TokenAuth(new Map());
  }

  /** The caller of an Authorization header, or 401 saying why not. */
  authenticate(header: string | undefined): Principal {
    if (this.byDigest.size === 0)
      throw new RequestError(
        401,
        'no API tokens are configured (set policyEngine.tokensFile or VIGIL_POLICY_ENGINE_TOKENS): every request is refused',
      );
    if (header === undefined || header === '')
      throw new RequestError(401, 'missing bearer token: send "Authorization: Bearer <token>"');
    const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (!m) throw new RequestError(401, 'malformed Authorization header: expected "Bearer <token>"');
    const principal = this.byDigest.get(sha256(m[1]!));
    if (!principal) throw new RequestError(401, 'unknown or revoked token');
    return principal;
  }
}

/** Whether the principal may see or change a policy of this scope. */
export function mayAccess(principal: Principal, scope: PolicyScope): boolean {
  if (principal.admin) return true;
  return scope.kind === 'TracingPolicyNamespaced' && principal.namespaces.includes(scope.namespace);
}

/** 403 with the reason when the principal may not touch the scope. */
export function authorize(principal: Principal, scope: PolicyScope): void {
  if (mayAccess(principal, scope)) return;
  const allowed = `"${principal.subject}" may only manage TracingPolicyNamespaced policies in ${principal.namespaces.map((n) => `"${n}"`).join(', ')}`;
  if (scope.kind !== 'TracingPolicyNamespaced')
    throw new RequestError(403, `a cluster-scoped ${scope.kind} needs an admin token; ${allowed}`);
  throw new RequestError(403, `namespace "${scope.namespace}" is outside this token's scope; ${allowed}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
