import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RpcStatus } from '@vigil/rpc';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../src/exit-codes';
import { resolveToken } from '../src/grpc/policy-target';
import { exitCodeOf, rpcFailure } from '../src/grpc/rpc-failure';
import { withSpinner } from '../src/grpc/wait-spinner';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-grpc-helpers-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('exit codes of gRPC statuses', () => {
  it('maps request problems to 2, unavailability to 4 and everything else to 1', () => {
    const table = Object.fromEntries(
      [
        'OK',
        'CANCELLED',
        'UNKNOWN',
        'INVALID_ARGUMENT',
        'DEADLINE_EXCEEDED',
        'NOT_FOUND',
        'ALREADY_EXISTS',
        'PERMISSION_DENIED',
        'RESOURCE_EXHAUSTED',
        'FAILED_PRECONDITION',
        'ABORTED',
        'OUT_OF_RANGE',
        'UNIMPLEMENTED',
        'INTERNAL',
        'UNAVAILABLE',
        'DATA_LOSS',
        'UNAUTHENTICATED',
      ].map((name) => [name, exitCodeOf(RpcStatus[name as keyof typeof RpcStatus])]),
    );
    expect(table).toEqual({
      OK: 1,
      CANCELLED: 1,
      UNKNOWN: 1,
      INVALID_ARGUMENT: 2,
      DEADLINE_EXCEEDED: 1,
      NOT_FOUND: 2,
      ALREADY_EXISTS: 2,
      PERMISSION_DENIED: 1,
      RESOURCE_EXHAUSTED: 2,
      FAILED_PRECONDITION: 1,
      ABORTED: 1,
      OUT_OF_RANGE: 2,
      UNIMPLEMENTED: 1,
      INTERNAL: 1,
      UNAVAILABLE: 4,
      DATA_LOSS: 1,
      UNAUTHENTICATED: 1,
    });
  });

  const target = { address: 'unix:///var/lib/vigil/vigil.sock', source: 'run.json', local: true };
  const fail = (code: number, details: string) =>
    rpcFailure(Object.assign(new Error(details), { code, details }), { target, tokenHint: 'pass a token' }) as CliError;

  it('says the server is not ready (4) apart from nothing listening (4) and a root-only socket (1)', () => {
    expect(
      fail(RpcStatus.UNAVAILABLE, 'the policy engine is still replaying vigil.policies; retry shortly'),
    ).toMatchObject({
      exitCode: 4,
      message:
        'unix:///var/lib/vigil/vigil.sock: the policy engine is still replaying vigil.policies; retry shortly (retry shortly)',
    });
    expect(
      fail(
        RpcStatus.UNAVAILABLE,
        'No connection established. Last error: Error: connect ENOENT /var/lib/vigil/vigil.sock. Resolution note: ',
      ),
    ).toMatchObject({
      exitCode: 4,
      message:
        'nothing answers at unix:///var/lib/vigil/vigil.sock (run.json): connect ENOENT /var/lib/vigil/vigil.sock',
    });
    expect(
      fail(
        RpcStatus.UNAVAILABLE,
        'No connection established. Last error: Error: connect EACCES /var/lib/vigil/vigil.sock',
      ),
    ).toMatchObject({ exitCode: 1, message: expect.stringContaining('the socket is for root only: run as root') });
  });

  it('passes other errors through untouched', () => {
    const bug = new TypeError('x is undefined');
    expect(rpcFailure(bug, { target, tokenHint: '' })).toBe(bug);
  });
});

describe('token precedence', () => {
  const file = (name: string, text: string) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text);
    return p;
  };

  it('--token, then --token-file, then VIGIL_TOKEN, then the default file', () => {
    const given = file('given', 'from-file-0123456789\n');
    const fallback = file('fallback', 'from-default-0123456789\n');
    expect(resolveToken({ token: 'flag-0123456789', tokenFile: given }, fallback)).toBe('flag-0123456789');
    expect(resolveToken({ token: 'env-0123456789', tokenFromEnv: true, tokenFile: given }, fallback)).toBe(
      'from-file-0123456789',
    );
    expect(resolveToken({ token: 'env-0123456789', tokenFromEnv: true }, fallback)).toBe('env-0123456789');
    expect(resolveToken({}, fallback)).toBe('from-default-0123456789');
    expect(resolveToken({}, path.join(tmp, 'missing'))).toBeUndefined();
    expect(resolveToken({})).toBeUndefined();
  });

  it('refuses an unreadable or empty --token-file as a usage error', () => {
    expect(() => resolveToken({ tokenFile: path.join(tmp, 'nope') })).toThrow(
      /--token-file .*nope: cannot read it \(ENOENT\)/,
    );
    expect(() => resolveToken({ tokenFile: file('empty', '\n') })).toThrow(/expected one token without whitespace/);
    try {
      resolveToken({ tokenFile: path.join(tmp, 'nope') });
    } catch (e) {
      expect((e as CliError).exitCode).toBe(2);
    }
  });
});

describe('the spinner', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { isTTY, writes, write: (t: string) => writes.push(t) };
  };
  const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

  it('draws on a terminal while the call waits, then erases its line', async () => {
    const tty = stream(true);
    expect(await withSpinner('listing', after(300, 'done'), tty, 20)).toBe('done');
    expect(tty.writes.length).toBeGreaterThan(1);
    expect(tty.writes[0]!.startsWith('\r\x1b[2K')).toBe(true);
    expect(tty.writes[0]!.endsWith(' listing')).toBe(true);
    expect(tty.writes.at(-1)).toBe('\r\x1b[2K');
  });

  it('writes nothing when stderr is not a terminal, or the answer is fast, and passes rejections on', async () => {
    const pipe = stream(false);
    expect(await withSpinner('listing', after(100, 1), pipe, 0)).toBe(1);
    expect(pipe.writes).toEqual([]);
    const fast = stream(true);
    await withSpinner('listing', Promise.resolve(2), fast, 150);
    expect(fast.writes).toEqual([]);
    const failing = stream(true);
    await expect(
      withSpinner(
        'listing',
        after(100, 0).then(() => Promise.reject(new Error('no'))),
        failing,
        10,
      ),
    ).rejects.toThrow('no');
    expect(failing.writes.at(-1)).toBe('\r\x1b[2K');
  });
});
