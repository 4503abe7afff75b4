import { describe, expect, it } from 'vitest';
import { execId, kernelExecId, parseExecId } from '../src/exec-id';

describe('exec_id', () => {
  it('is base64 of "node:ktime:pid" (known vector)', () => {
    expect(execId('node', 123n, 45)).toBe('bm9kZToxMjM6NDU=');
    expect(Buffer.from('bm9kZToxMjM6NDU=', 'base64').toString()).toBe('node:123:45');
  });

  it('round-trips, including 64-bit ktimes beyond Number precision', () => {
    const ktime = 18_446_744_073_709_551_615n;
    const id = execId('worker-7.example.com', ktime, 4_194_304);
    expect(parseExecId(id)).toEqual({ node: 'worker-7.example.com', ktime, pid: 4_194_304 });
  });

  it('splits at the last two colons, so node names with ":" survive', () => {
    expect(parseExecId(execId('fd00::1', 9n, 1))).toEqual({ node: 'fd00::1', ktime: 9n, pid: 1 });
  });

  it('names the <kernel> pseudo process as Tetragon does (pid 0, ktime 1)', () => {
    expect(Buffer.from(kernelExecId('n1'), 'base64').toString()).toBe('n1:1:0');
  });

  it('rejects what is not an exec_id', () => {
    for (const bad of [
      '',
      'not base64!',
      Buffer.from('node:abc:1').toString('base64'),
      Buffer.from('nocolons').toString('base64'),
      'bm9kZQ',
    ]) {
      expect(parseExecId(bad)).toBeUndefined();
    }
  });
});
