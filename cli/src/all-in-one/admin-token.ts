import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The file under the data directory holding the policy API's admin token: the secret itself, nothing else. */
export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AdminToken {
  file: string;
  /** True when this start wrote the file (first start on this data directory). */
  created: boolean;
  /**
   * The policy engine's token configuration (VIGIL_POLICY_ENGINE_TOKENS format) naming the token
   * by its SHA-256 only: the secret stays in the 0600 file and never travels through the
   * environment, where /proc/<pid>/environ would show it to anyone with the same uid.
   */
  tokensJson: string;
}

/**
 * The all-in-one's admin token: read from <dataDir>/admin-token, generated there (0600, created
 * exclusively so two starts cannot race) when missing. 32 random bytes, base64url: no whitespace,
 * well above the policy engine's 16-character minimum.
 */
export function ensureAdminToken(dataDir: string): AdminToken {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  let created = false;
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new Error(`cannot write ${file}: ${(err as Error).message}`);
  }
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 16 || /\s/.test(token))
    throw new Error(
      `${file}: expected one token of at least 16 characters without whitespace — fix: delete the file and start again to generate a new one`,
    );
  const sha256 = createHash('sha256').update(token, 'utf8').digest('hex');
  return {
    file,
    created,
    tokensJson: JSON.stringify({ tokens: [{ subject: 'vigil-run-admin', sha256, admin: true }] }),
  };
}

/** A token file others can read is a leak; said once at start rather than silently accepted. */
export function tokenFileExposure(file: string): string | undefined {
  const mode = fs.statSync(file).mode & 0o777;
  return (mode & 0o077) !== 0
    ? `${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`
    : undefined;
}
