import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TokenAuth } from '@vigil/policy-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureAdminToken, tokenFileExposure } from '../src/all-in-one/admin-token';
import { processAlive, readEndpoint, removeEndpoint, writeEndpoint } from '../src/all-in-one/endpoint-file';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-data-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the all-in-one admin token', () => {
  it('is generated once (0600), kept on the next start, and the policy engine accepts it as admin by its digest only', () => {
    const dir = tempDir();
    const first = ensureAdminToken(dir);
    expect(first.created).toBe(true);
    expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(first.file, 'utf8').trim();
    expect(first.tokensJson).not.toContain(token);
    const auth = TokenAuth.parse(first.tokensJson, 'test');
    expect(auth.authenticate(`Bearer ${token}`)).toMatchObject({ admin: true, subject: 'vigil-run-admin' });
    expect(() => auth.authenticate(`Bearer ${token}x`)).toThrow();

    const second = ensureAdminToken(dir);
    expect(second.created).toBe(false);
    expect(second.tokensJson).toBe(first.tokensJson);
    expect(tokenFileExposure(first.file)).toBeUndefined();
    fs.chmodSync(first.file, 0o644);
    expect(tokenFileExposure(first.file)).toMatch(/readable by others \(mode 0644\); chmod 600 it/);
  });

  it('refuses a token file that does not hold one usable token, saying how to get a new one', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'admin-token'), 'two words\n', { mode: 0o600 });
    expect(() => ensureAdminToken(dir)).toThrow(/admin-token: expected one token .* fix: delete the file/);
  });
});

describe('run.json', () => {
  it('names the running all-in-one, and is removed only by the process it names', () => {
    const dir = tempDir();
    writeEndpoint(dir, { url: 'http://127.0.0.1:1234', pid: process.pid, startedAt: '2026-11-29T00:00:00Z' });
    expect(readEndpoint(dir)).toEqual({
      url: 'http://127.0.0.1:1234',
      pid: process.pid,
      startedAt: '2026-11-29T00:00:00Z',
    });
    removeEndpoint(dir, process.pid + 1);
    expect(readEndpoint(dir)).toBeDefined();
    removeEndpoint(dir);
    expect(readEndpoint(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'run.json'), '{"url":');
    expect(readEndpoint(dir)).toBeUndefined();
  });

  it('tells a live pid from a gone one', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 1)).toBe(false); // above pid_max's ceiling
  });
});
