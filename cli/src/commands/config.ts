import type { Command } from 'commander';
import { baseSchema, describeSchema, loadConfig } from '@vigil/config';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('inspect configuration');
  config
    .command('show')
    .description('print the effective configuration (defaults < $VIGIL_CONFIG file < VIGIL_* variables)')
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .action((opts: { config?: string }) => {
      const effective = loadConfig(baseSchema, { file: opts.config });
      console.log(JSON.stringify(effective, (k, v: unknown) => (k === 'password' && v ? '***' : v), 2));
    });
  config
    .command('fields')
    .description('list every setting with its environment variable, default and meaning')
    .action(() => {
      for (const f of describeSchema(baseSchema)) {
        console.log(
          `${f.path.padEnd(22)} ${(f.env ?? '').padEnd(26)} ${JSON.stringify(f.default).padEnd(28)} ${f.doc}`,
        );
      }
    });
}
