/**
 * HookProgram against the real kernel: security_file_permission(file, mask) as its syscall
 * equivalents (read family: the file from the fd, mask MAY_READ), with a matchBinaries
 * selector and Sigkill — the kernel kills the reader before the data reaches user space.
 * Runs on every kernel (tracepoints need no kprobes or trampolines).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeProcessBatch,
  HookProgram,
  type HookConfig,
  type HookLoadOptions,
  type RawHookEvent,
  type RingBufferReader,
  type SyscallEquivalent,
} from '../../src/index';
import { kernelTestsSkipped, waitFor, warnIfSkipped } from './kernel-env';

warnIfSkipped('HookProgram');

const MAY_READ = 4n;
const MAY_WRITE = 2n;
// x86_64 syscall numbers of the read/write family (fd in argument 0).
const READS: SyscallEquivalent[] = [
  { name: 'read', nr: 0, args: [0, { const: MAY_READ }] },
  { name: 'pread64', nr: 17, args: [0, { const: MAY_READ }] },
  { name: 'readv', nr: 19, args: [0, { const: MAY_READ }] },
];
const WRITES: SyscallEquivalent[] = [{ name: 'write', nr: 1, args: [0, { const: MAY_WRITE }] }];

describe.skipIf(kernelTestsSkipped)('HookProgram (real kernel)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-hook-'));
  const secret = path.join(dir, 'secret.txt');
  const myCat = path.join(dir, 'cat');
  let hook: HookProgram | undefined;
  let reader: RingBufferReader | undefined;
  let events: RawHookEvent[] = [];

  beforeAll(() => {
    fs.writeFileSync(secret, 'the secret content\n');
    fs.copyFileSync('/usr/bin/cat', myCat);
    fs.chmodSync(myCat, 0o755);
  });
  afterEach(() => {
    reader?.stop();
    hook?.close();
    reader = hook = undefined;
    events = [];
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load(config: Partial<HookConfig>, opts: Partial<HookLoadOptions> = {}): HookProgram {
    hook = HookProgram.load({
      config: {
        hookId: 7,
        args: [
          { type: 'fd', src: 0 },
          { type: 's32', src: 1 },
        ],
        ret: { type: 's64', post: true },
        selectors: [],
        ...config,
      },
      attach: { kind: 'syscalls', syscalls: [...READS, ...WRITES] },
      ringBytes: 1 << 20,
      ...opts,
    });
    reader = hook.object
      .ringBuffer('vigil_events', {
        onBatch: (b) => {
          for (const e of decodeProcessBatch(b).events) if (e.kind === 'hook') events.push(e);
        },
      })
      .start();
    return hook;
  }

  const catSecret = (bin: string) => spawnSync(bin, [secret], { encoding: 'utf8' });
  const eventsOf = (pid: number) => events.filter((e) => e.pid === pid);

  it('kills a matching binary at its first read of any file (the loader reading libc counts)', async () => {
    load({ selectors: [{ binaries: { op: 'In', paths: [myCat] }, actions: [{ kind: 'Sigkill' }] }] });
    const killed = catSecret(myCat);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    expect(await waitFor(() => eventsOf(killed.pid!).length > 0, 5000)).toBe(true);
    const ev = eventsOf(killed.pid!)[0]!;
    expect(ev).toMatchObject({ hookId: 7, action: 'Sigkill', enforced: true, selector: 0 });
    expect(ev.args[0]?.str).toMatch(/^\//);
    expect(ev.args[1]?.int).toBe(MAY_READ);
    expect(catSecret('/usr/bin/cat').stdout).toBe('the secret content\n');
  });

  it('kills a matching binary at read() of the file its selector names: the content never reaches it', async () => {
    load({
      selectors: [
        {
          binaries: { op: 'In', paths: [myCat] },
          args: [{ arg: 0, op: 'Equal', strings: [Buffer.from(secret)] }],
          actions: [{ kind: 'Sigkill' }],
        },
      ],
    });
    const killed = catSecret(myCat);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    const normal = catSecret('/usr/bin/cat');
    expect(normal.status).toBe(0);
    expect(normal.stdout).toBe('the secret content\n');

    expect(await waitFor(() => eventsOf(killed.pid!).some((e) => e.args[0]?.str === secret), 5000)).toBe(true);
    const ev = eventsOf(killed.pid!).find((e) => e.args[0]?.str === secret)!;
    expect(ev).toMatchObject({ hookId: 7, syscall: 0, action: 'Sigkill', enforced: true, selector: 0 });
    expect(ev.args[1]).toMatchObject({ type: 's32', int: MAY_READ });
    expect(ev.ret).toBeDefined(); // the read's own result (bytes, or -EINTR when the kill came first)
    expect(eventsOf(normal.pid!)).toEqual([]); // the selector did not match /usr/bin/cat
    const s = hook!.stats();
    expect(s.sigkill).toBeGreaterThanOrEqual(1n);
    expect(s.posted).toBeGreaterThanOrEqual(1n);
    expect(s.lost).toBe(0n);
  });

  it('in monitor mode only counts the kill; closing the hook restores normal behaviour at once', async () => {
    const h = load({ selectors: [{ binaries: { op: 'In', paths: [myCat] }, actions: [{ kind: 'Sigkill' }] }] });
    h.setMode('monitor');
    const spared = catSecret(myCat);
    expect(spared.status).toBe(0);
    expect(spared.stdout).toBe('the secret content\n');
    expect(await waitFor(() => eventsOf(spared.pid!).length > 0, 5000)).toBe(true);
    expect(eventsOf(spared.pid!)[0]).toMatchObject({ action: 'Sigkill', enforced: false, monitorOnly: true });
    expect(h.stats().monitorOnly).toBeGreaterThanOrEqual(1n);

    h.setMode('enforce');
    expect(catSecret(myCat).signal).toBe('SIGKILL');
    h.close();
    expect(catSecret(myCat).stdout).toBe('the secret content\n');
  });

  it('filters on arguments in the kernel: path prefix and integer mask, AND within a selector', async () => {
    load({
      selectors: [
        {
          binaries: { op: 'In', paths: [myCat] },
          args: [
            { arg: 0, op: 'Prefix', strings: [Buffer.from(dir + '/sec')] },
            { arg: 1, op: 'Mask', values: [MAY_READ] },
          ],
        },
      ],
    });
    const other = path.join(dir, 'other.txt');
    fs.writeFileSync(other, 'x');
    const a = spawnSync(myCat, [secret, other], { encoding: 'utf8' });
    expect(a.status).toBe(0);
    expect(await waitFor(() => eventsOf(a.pid!).length > 0, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    const paths = new Set(eventsOf(a.pid!).map((e) => e.args[0]?.str));
    expect(paths).toEqual(new Set([secret])); // reads of other.txt and writes to stdout filtered out
    expect(eventsOf(a.pid!).every((e) => e.action === 'Post' && e.args[1]?.int === MAY_READ)).toBe(true);
  });
});
