import fs from 'node:fs';
import path from 'node:path';

export class SpoolLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `spool ${dir} is in use by process ${pid} — two writers would interleave segments; ` +
        'give each bus its own spool directory',
    );
    this.name = 'SpoolLockedError';
  }
}

/**
 * One process per spool directory. The lock file holds the owner's PID; a lock whose process is
 * gone (crash, kill -9) is taken over, so a restart after a crash never needs manual cleanup.
 */
export function acquireSpoolLock(dir: string): () => void {
  const file = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && processAlive(owner))
        throw new SpoolLockedError(dir, owner);
      if (owner === process.pid) throw new SpoolLockedError(dir, owner);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`spool ${dir}: could not take the lock file ${file}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
