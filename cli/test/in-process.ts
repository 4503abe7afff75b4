import { CommanderError } from 'commander';
import { ConfigError } from '@vigil/config';
import { vi } from 'vitest';
import { buildProgram } from '../src/main';
import { CliError, EXIT } from '../src/exit-codes';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `vigil <args>` in this process: the program main.ts builds, stdout and stderr captured, and the
 * exit code main() would return (its mapping, repeated here: main() is not exported). In-process so
 * the servers a test starts answer from the same event loop, without spawning a Node per command.
 */
export async function vigil(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const capture =
    (append: (s: string) => void) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      callback?.();
      return true;
    };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture((s) => (stdout += s)));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture((s) => (stderr += s)));
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let code: number = EXIT.ok;
  try {
    await buildProgram().parseAsync(['node', 'vigil', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else if (e instanceof CliError) {
      stderr += `vigil: ${e.message}\n`;
      code = e.exitCode;
    } else if (e instanceof ConfigError) {
      stderr += `vigil: ${e.message}\n`;
      code = EXIT.config;
    } else {
      stderr += `vigil: ${e instanceof Error ? e.message : String(e)}\n`;
      code = EXIT.failure;
    }
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { code, stdout, stderr };
}

/** Environment variables the commands read, unset so the machine running the tests does not leak in. */
export const CLEAN_ENV: Record<string, undefined> = {
  VIGIL_SERVER_ADDRESS: undefined,
  VIGIL_POLICY_ENGINE_ADDRESS: undefined,
  VIGIL_TOKEN: undefined,
  VIGIL_DATA_DIR: undefined,
  VIGIL_STATUS_URL: undefined,
};
