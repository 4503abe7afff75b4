/**
 * The policy hook through each attach flavour that needs more than tracepoints: kprobe,
 * fentry/fexit, fmod_ret (Override) and BPF LSM. The host kernel of CI has none of them; the
 * kernel-matrix VMs (Debian 6.1, 6.12) have all: there these tests run, here they skip and say
 * why (the reason the kernel gave when the flavour was tried).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  decodeProcessBatch,
  HookProgram,
  isBpfError,
  type HookAttach,
  type HookConfig,
  type RawHookEvent,
  type RingBufferReader,
} from '../../src/index';
import { kernelTestsSkipped, waitFor, warnIfSkipped } from './kernel-env';

warnIfSkipped('HookProgram attach flavours');

const MAY_READ = 4n;
const EPERM = -1;
const EACCES = -13;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-hook-attach-'));
const secret = path.join(dir, 'secret.txt');
const myCat = path.join(dir, 'cat');
fs.writeFileSync(secret, 'the secret content\n');
fs.copyFileSync('/usr/bin/cat', myCat);
fs.chmodSync(myCat, 0o755);

/** Why this flavour cannot run here (undefined: it can), found by loading and attaching one. */
function unavailable(attach: HookAttach, ret = false): string | undefined {
  if (kernelTestsSkipped) return 'kernel tests skipped';
  try {
    HookProgram.load({
      config: {
        hookId: 1,
        args: [{ type: 'file', src: 0 }],
        ret: ret ? { type: 's32', post: true } : undefined,
        selectors: [],
      },
      attach,
      ringBytes: 4096,
    }).close();
    return undefined;
  } catch (err) {
    if (!isBpfError(err)) throw err;
    return `${err.code ?? err.errno}: ${err.message.split('\n')[0]}`;
  }
}

const why = {
  kprobe: unavailable({ kind: 'kprobe', func: 'security_file_permission' }, true),
  fentry: unavailable({ kind: 'fentry', func: 'security_file_permission' }, true),
  fmod_ret: unavailable({ kind: 'fmod_ret', func: 'security_file_open' }),
  lsm: unavailable({ kind: 'lsm', hook: 'file_open' }),
};
for (const [flavour, reason] of Object.entries(why))
  if (reason) console.warn(`\n*** SKIPPING ${flavour} hook tests on ${os.release()}: ${reason} ***\n`);

describe('HookProgram attach flavours (real kernel)', () => {
  let hook: HookProgram | undefined;
  let reader: RingBufferReader | undefined;
  let events: RawHookEvent[] = [];

  afterEach(() => {
    reader?.stop();
    hook?.close();
    reader = hook = undefined;
    events = [];
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load(config: HookConfig, attach: HookAttach): void {
    hook = HookProgram.load({ config, attach, ringBytes: 1 << 20 });
    reader = hook.object
      .ringBuffer('vigil_events', {
        onBatch: (b) => {
          for (const e of decodeProcessBatch(b).events) if (e.kind === 'hook') events.push(e);
        },
      })
      .start();
  }

  const catSecret = (bin: string) => spawnSync(bin, [secret], { encoding: 'utf8' });
  const onSecret = {
    binaries: { op: 'In' as const, paths: [myCat] },
    args: [{ arg: 0, op: 'Equal' as const, strings: [Buffer.from(secret)] }],
  };

  for (const flavour of ['kprobe', 'fentry'] as const) {
    it.skipIf(why[flavour] !== undefined)(
      `${flavour} on security_file_permission kills the reader of the named file, with file, mask and return`,
      async () => {
        load(
          {
            hookId: 3,
            args: [
              { type: 'file', src: 0 },
              { type: 's32', src: 1 },
            ],
            ret: { type: 's32', post: true },
            selectors: [{ ...onSecret, actions: [{ kind: 'Sigkill' }] }],
          },
          { kind: flavour, func: 'security_file_permission' },
        );
        const killed = catSecret(myCat);
        expect(killed.signal).toBe('SIGKILL');
        expect(killed.stdout).toBe('');
        expect(catSecret('/usr/bin/cat').stdout).toBe('the secret content\n');
        expect(await waitFor(() => events.some((e) => e.pid === killed.pid), 10_000)).toBe(true);
        const ev = events.find((e) => e.pid === killed.pid)!;
        expect(ev).toMatchObject({ hookId: 3, action: 'Sigkill', enforced: true, syscall: undefined });
        expect(ev.args[0]).toMatchObject({ type: 'file', str: secret });
        expect(ev.args[1]?.int).toBe(MAY_READ);
        expect(ev.ret).toBe(0n); // security_file_permission allowed the read; the kill did the rest
      },
    );
  }

  it.skipIf(why.fmod_ret !== undefined)(
    'fmod_ret on security_file_open overrides the open with -EPERM for the named file only',
    async () => {
      load(
        {
          hookId: 4,
          args: [{ type: 'file', src: 0 }],
          selectors: [{ ...onSecret, actions: [{ kind: 'Override', arg: EPERM }] }],
        },
        { kind: 'fmod_ret', func: 'security_file_open' },
      );
      const denied = catSecret(myCat);
      expect(denied.status).toBe(1);
      expect(denied.stderr).toMatch(/Operation not permitted/);
      expect(spawnSync(myCat, ['/etc/hostname'], { encoding: 'utf8' }).status).toBe(0);
      expect(catSecret('/usr/bin/cat').stdout).toBe('the secret content\n');
      expect(await waitFor(() => events.some((e) => e.pid === denied.pid && e.action === 'Override'), 10_000)).toBe(
        true,
      );
      expect(hook!.stats().override).toBeGreaterThanOrEqual(1n);
    },
  );

  it.skipIf(why.lsm !== undefined)(
    'lsm file_open denies with -EACCES; lsm bprm_check_security denies an exec',
    async () => {
      load(
        {
          hookId: 5,
          args: [{ type: 'file', src: 0 }],
          selectors: [{ ...onSecret, actions: [{ kind: 'Override', arg: EACCES }] }],
        },
        { kind: 'lsm', hook: 'file_open' },
      );
      const denied = catSecret(myCat);
      expect(denied.status).toBe(1);
      expect(denied.stderr).toMatch(/Permission denied/);
      expect(catSecret('/usr/bin/cat').status).toBe(0);
      hook!.close();
      reader!.stop();
      expect(catSecret(myCat).stdout).toBe('the secret content\n');

      load(
        {
          hookId: 6,
          args: [{ type: 'linux_binprm', src: 0 }],
          selectors: [
            {
              args: [{ arg: 0, op: 'Equal', strings: [Buffer.from(myCat)] }],
              actions: [{ kind: 'Override', arg: EACCES }],
            },
          ],
        },
        { kind: 'lsm', hook: 'bprm_check_security' },
      );
      const exec = spawnSync(myCat, [secret], { encoding: 'utf8' });
      expect(exec.error && (exec.error as NodeJS.ErrnoException).code).toBe('EACCES');
      expect(spawnSync('/usr/bin/cat', [secret], { encoding: 'utf8' }).status).toBe(0);
      expect(await waitFor(() => events.some((e) => e.hookId === 6 && e.args[0]?.str === myCat), 10_000)).toBe(true);
    },
  );
});
