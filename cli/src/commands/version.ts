import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function vigilVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function registerVersionCommand(program: Command): void {
  program.version(vigilVersion(), '-V, --version');
  program
    .command('version')
    .description('print the Vigil version, Node version and kernel release')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((opts: { output: string }) => {
      const info = {
        vigil: vigilVersion(),
        node: process.versions.node,
        kernel: os.release(),
      };
      console.log(
        opts.output === 'json'
          ? JSON.stringify(info)
          : `vigil ${info.vigil} (node ${info.node}, kernel ${info.kernel})`,
      );
    });
}
