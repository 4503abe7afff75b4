#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '@vigil/config';
import { registerCompletionCommand } from './commands/completion';
import { registerConfigCommand } from './commands/config';
import { registerGetEventsCommand } from './commands/getevents';
import { registerProbeCommand } from './commands/probe';
import { registerQueryCommand } from './commands/query';
import { registerRunCommand } from './commands/run';
import { registerStatusCommand } from './commands/status';
import { registerTracingPolicyCommand } from './commands/tracingpolicy';
import { registerVersionCommand } from './commands/version';
import { CliError, EXIT } from './exit-codes';

/**
 * `vigil`: the one composition root. Every command that runs Vigil assembles the services'
 * NestJS modules (or the libs they wire); nothing here holds domain logic.
 */
export function buildProgram(): Command {
  const program = new Command('vigil')
    .description('eBPF security observability and runtime enforcement')
    .showHelpAfterError()
    .exitOverride();
  registerRunCommand(program);
  registerGetEventsCommand(program);
  registerQueryCommand(program);
  registerVersionCommand(program);
  registerConfigCommand(program);
  registerProbeCommand(program);
  registerTracingPolicyCommand(program);
  registerStatusCommand(program);
  registerCompletionCommand(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      console.error(`vigil: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      console.error(`vigil: ${err.message}`);
      return EXIT.config;
    }
    console.error(`vigil: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failure;
  }
}

if (require.main === module) {
  // `vigil query … | head`: a reader that stopped reading is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(EXIT.ok);
  });
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
