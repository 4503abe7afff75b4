import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authorize, TokenAuth, TokenConfigError } from '../src/domain/auth';
import { RequestError } from '../src/domain/errors';
import { ADMIN_TOKEN, TEAM_A_TOKEN, TOKENS } from './fixtures';

const auth = TokenAuth.parse(TOKENS, 'test');

function refusal(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof RequestError) return { status: e.status, message: e.message };
    throw e;
  }
  throw new Error('expected a RequestError');
}

describe('TokenAuth', () => {
  it('finds the principal of a bearer token', () => {
    expect(auth.authenticate(`Bearer ${ADMIN_TOKEN}`)).toEqual({ subject: 'alice', admin: true, namespaces: [] });
    expect(auth.authenticate(`bearer ${TEAM_A_TOKEN}`)).toEqual({
      subject: 'team-a-ci',
      admin: false,
      namespaces: ['team-a'],
    });
  });

  it('accepts a token given as its SHA-256', () => {
    const hashed = TokenAuth.fromValue(
      [{ subject: 'bob', sha256: 'ac2e3d4e1b8bb6c3a6f1f4b6a7bfd5fbb5c4e5a9bb1ba8e3e35e18a6d2f7e0a1', admin: true }],
      'x',
    );
    expect(() => hashed.authenticate(`Bearer ${ADMIN_TOKEN}`)).toThrow(/unknown or revoked token/);
    const real = TokenAuth.fromValue(
      [{ subject: 'bob', sha256: createHash('sha256').update(ADMIN_TOKEN).digest('hex'), admin: true }],
      'x',
    );
    expect(real.authenticate(`Bearer ${ADMIN_TOKEN}`).subject).toBe('bob');
  });

  it('answers 401 with the reason for a missing, malformed or unknown token', () => {
    expect(refusal(() => auth.authenticate(undefined))).toEqual({
      status: 401,
      message: 'missing bearer token: send "Authorization: Bearer <token>"',
    });
    expect(refusal(() => auth.authenticate(`Basic ${ADMIN_TOKEN}`)).message).toMatch(/malformed Authorization header/);
    expect(refusal(() => auth.authenticate('Bearer nope-nope-nope-nope')).message).toBe('unknown or revoked token');
    expect(refusal(() => TokenAuth.none().authenticate(`Bearer ${ADMIN_TOKEN}`)).message).toMatch(
      /no API tokens are configured/,
    );
  });

  it('lists every problem of a token configuration with its path', () => {
    const bad = [
      { subject: '', token: 'short', admin: true },
      { subject: 'x', token: 'a-long-enough-token-1', sha256: 'ab', namespaces: [] },
      { subject: 'y', token: 'a-long-enough-token-2', admin: false, colour: 'red' },
      { subject: 'z', token: 'a-long-enough-token-3', namespaces: ['Team_A'] },
      { subject: 'dup', token: ADMIN_TOKEN, admin: true },
      { subject: 'dup2', token: ADMIN_TOKEN, admin: true },
    ];
    let error: TokenConfigError | undefined;
    try {
      TokenAuth.fromValue({ tokens: bad }, 'file tokens.json');
    } catch (e) {
      error = e as TokenConfigError;
    }
    expect(error?.problems).toEqual([
      'tokens[0].subject: expected a non-empty string (who the token is, recorded in the audit trail)',
      'tokens[0].token: expected a string of at least 16 characters without spaces',
      'tokens[1]: expected exactly one of token, sha256',
      'tokens[1].namespaces: expected a non-empty list of namespace names (DNS-1123 labels)',
      'tokens[2].colour: unknown field (expected subject, token, sha256, admin, namespaces)',
      'tokens[2]: expected exactly one of "admin": true (cluster-wide) or "namespaces": [...]',
      'tokens[3].namespaces: expected a non-empty list of namespace names (DNS-1123 labels)',
      'tokens[5]: the same token as subject "dup"',
    ]);
    expect(error?.message).toMatch(/^file tokens\.json: 8 problem\(s\)/);
  });
});

describe('authorize', () => {
  const admin = auth.authenticate(`Bearer ${ADMIN_TOKEN}`);
  const teamA = auth.authenticate(`Bearer ${TEAM_A_TOKEN}`);

  it('lets an admin touch both kinds anywhere', () => {
    expect(() => authorize(admin, { kind: 'TracingPolicy', namespace: '' })).not.toThrow();
    expect(() => authorize(admin, { kind: 'TracingPolicyNamespaced', namespace: 'team-b' })).not.toThrow();
  });

  it('limits a namespaced token to TracingPolicyNamespaced of its namespaces (403 otherwise)', () => {
    expect(() => authorize(teamA, { kind: 'TracingPolicyNamespaced', namespace: 'team-a' })).not.toThrow();
    expect(refusal(() => authorize(teamA, { kind: 'TracingPolicyNamespaced', namespace: 'team-b' }))).toEqual({
      status: 403,
      message:
        'namespace "team-b" is outside this token\'s scope; "team-a-ci" may only manage TracingPolicyNamespaced policies in "team-a"',
    });
    expect(refusal(() => authorize(teamA, { kind: 'TracingPolicy', namespace: '' })).message).toMatch(
      /^a cluster-scoped TracingPolicy needs an admin token/,
    );
  });
});
