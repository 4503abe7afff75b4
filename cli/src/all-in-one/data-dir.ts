import fs from 'node:fs';
import path from 'node:path';

/** Where `vigil run` keeps its state when neither --data-dir nor VIGIL_DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = '/var/lib/vigil';

/** --data-dir, else $VIGIL_DATA_DIR, else /var/lib/vigil; always absolute (it is printed and shared with `vigil query`). */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? (env['VIGIL_DATA_DIR'] || DEFAULT_DATA_DIR);
  return path.resolve(chosen);
}

/**
 * Creates the data directory (0700: it holds the admin token and every stored event). An existing
 * directory keeps its mode — the operator may have chosen a group on purpose.
 */
export function ensureDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(
      `data directory ${dir}: ${(err as Error).message} (choose another with --data-dir or VIGIL_DATA_DIR)`,
    );
  }
  if (!fs.statSync(dir).isDirectory()) throw new Error(`data directory ${dir}: not a directory`);
}
